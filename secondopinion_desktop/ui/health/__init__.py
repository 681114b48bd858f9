"""The health summary: the diagnosis, the treatment history, medications, allergies, and lab results with trends."""
