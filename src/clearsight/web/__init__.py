"""The analysts' web workspace: static HTML, CSS and JavaScript served by the API."""
