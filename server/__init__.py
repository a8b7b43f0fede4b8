"""ringsense-mcp: an MCP server for RingCentral RingSense call insights."""

from importlib.metadata import version

# The one version string: the installed package's metadata, so pyproject.toml is the only place it is written.
__version__ = version("ringsense-mcp")
