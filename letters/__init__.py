"""Documents and their delivery: letters as PDFs, and the one SMTP sender."""
