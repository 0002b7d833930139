"""xiaoer (小二): the Rasa bot's custom components, settings and command-line entry."""
