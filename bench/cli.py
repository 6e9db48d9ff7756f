"""``gdkit``: the command line."""

import click


@click.group()
def main():
    """gdkit: gradient descent three ways (NumPy, TensorFlow, JAX), checked and timed."""
