"""The patient profile: who the packet is about, the diagnosis, the insurance."""
