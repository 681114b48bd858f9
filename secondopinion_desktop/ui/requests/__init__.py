"""The Requests tab: records requests to each facility, their log and letters, and slide shipments."""
