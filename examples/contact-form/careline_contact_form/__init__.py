"""careline-contact-form: a website's contact form as a careline channel (an example plugin)."""
