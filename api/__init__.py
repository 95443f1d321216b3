"""What every API of Lambridge shares: the error shape and its code registry, strict fields, OpenAPI, throttles.

The bottom room: it imports nothing of ours, and each app registers its own error codes here.
"""
