"""The greeting workflow: the smallest slipstream program.

Run it as a script or with the command line:

    python examples/hello.py
    slipstream run examples/hello.py hello_wf --name World
"""

from slipstream import task, workflow


@task
def say_hello(name: str) -> str:
    """Build the greeting."""
    return f"hello {name}"


@task
def shout(text: str) -> str:
    """Make it loud."""
    return text.upper() + "!"


@workflow
def hello_wf(name: str = "world") -> str:
    """Greet someone, loudly."""
    return shout(text=say_hello(name=name))


if __name__ == "__main__":
    print(hello_wf(name="slipstream"))
