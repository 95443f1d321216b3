"""The cold-start baseline: a minimal Django + DRF app with one hello view, packaged like Lambridge."""
