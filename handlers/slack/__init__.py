"""The Slack transport: the only place that imports Slack libraries."""
