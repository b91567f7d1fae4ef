"""Side-by-side benchmark harness for peer orchestration frameworks."""
