"""careline-reports: Reports: the care KPIs as tables, files and charts."""
