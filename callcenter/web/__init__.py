"""Browser pages: server-rendered Jinja2 templates and small own ES modules (no framework, no CDN)."""
