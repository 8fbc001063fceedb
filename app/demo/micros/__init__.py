"""The demo micro credentials, one module each, written for this project."""
