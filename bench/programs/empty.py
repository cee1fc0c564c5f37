"""An empty program: the fixed cost of starting and finishing under each tool."""
