"""GUI tests (offscreen Qt; tests/ui/xvfb starts a real X server)."""
