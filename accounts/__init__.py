"""Who the caller is: Cognito tokens, links to the site's users, site passwords, API keys."""
