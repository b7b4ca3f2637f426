"""Pages grouped into documents, each typed from its title."""
