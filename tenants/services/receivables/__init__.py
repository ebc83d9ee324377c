"""What is owed and paid: invoices and their import, payments and allocation, the interest and
compensation the law adds, and the business dashboard."""
