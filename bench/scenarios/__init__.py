"""The benchmark scenarios (numbers as in issue 9), one module each; every one returns
JSON-ready rows. `common` holds what they share."""
