"""The project's only door to AWS: boto3 clients created once per process (see aws/clients.py)."""
