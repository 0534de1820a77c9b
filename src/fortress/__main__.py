from fortress.cli import run

run()
