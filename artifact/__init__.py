"""The Lambda artifact: `make package` (artifact.build), its checks (artifact.verify), the rendered settings."""
