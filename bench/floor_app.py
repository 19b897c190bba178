"""The floor of bench/load.py: a Flask "hello" served by the same gunicorn setting as the site.

Whatever a page costs above this app's cost is the site's own work; dividing by it cancels much of the
machine's speed and noise, since both are measured in the same run.
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    """The smallest page Flask can serve."""
    return "Hello, World!"
