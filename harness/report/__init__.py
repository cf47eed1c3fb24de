"""Reports of a decision: plain text and Markdown (GitHub step summary), HTML with plots, JUnit XML, and the
one console interface (rich on a terminal, plain text elsewhere)."""

from harness.report.console import console, table
from harness.report.html import html_report, write_html
from harness.report.junit import junit_xml, write_junit
from harness.report.text import append_step_summary, markdown_report, render_decision

__all__ = [
    "append_step_summary", "console", "html_report", "junit_xml", "markdown_report", "render_decision", "table",
    "write_html", "write_junit"
]
