"""One router per resource of the API (events, vessels, lists, areas, users, meta)."""
