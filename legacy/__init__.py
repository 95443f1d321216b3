"""The bridge to the PHP site's database: its tables as unmanaged models, the router, the admin."""
