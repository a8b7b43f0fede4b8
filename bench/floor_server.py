"""The cold-start floor: the least an `MCPServer` can be — one trivial tool, served over stdio.

Run as `python -m bench.floor_server`. Kept free of the project's imports so that it measures the SDK alone.
"""

from mcp.server.mcpserver import MCPServer

mcp = MCPServer("floor")


@mcp.tool()
async def echo(text: str) -> str:
    """Return `text` unchanged."""
    return text


if __name__ == "__main__":
    mcp.run()
