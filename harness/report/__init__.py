"""Reports of a decision: plain text and Markdown (GitHub step summary), HTML with plots, JUnit XML, and the
one console interface (rich on a terminal, plain text elsewhere)."""

from harness.report.console import FORMATS, console, emit_rows, print_table, table
from harness.report.html import html_report, write_html
from harness.report.junit import junit_xml, write_junit
from harness.report.progress import Progress, milestone, on_terminal
from harness.report.text import append_step_summary, decision_line, markdown_report, render_decision

__all__ = [
    "FORMATS", "append_step_summary", "console", "decision_line", "emit_rows", "html_report", "junit_xml",
    "markdown_report", "milestone", "on_terminal", "Progress", "print_table", "render_decision", "table",
    "write_html", "write_junit"
]
