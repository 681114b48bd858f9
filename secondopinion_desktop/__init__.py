"""Second Opinion: gather cancer records and prepare for a second-opinion consult, privately."""

__version__ = "0.1.0"
APP_NAME = "Second Opinion"
ORG_NAME = "SecondOpinion"
APP_ID = "org.secondopinion.SecondOpinion"
