"""A bare Flask "hello" endpoint: the yardstick the load benchmark compares the app against, served
by the same gunicorn settings in the same run."""
from flask import Flask

app = Flask(__name__)


@app.get("/hello")
def hello():
    return "hello"
