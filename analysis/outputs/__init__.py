"""What people read: Excel workbooks, masking of personal data, charts, the HTML report,
its executive summary and the notebooks' table display helpers."""
