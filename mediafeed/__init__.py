"""mediafeed: publish a podcast from media files, Markdown episode files and an S3 bucket."""

__version__ = "0.1.0"
