"""Push notifications through Amazon SNS: devices, silent sync pushes, staff broadcasts (SPEC §10)."""
