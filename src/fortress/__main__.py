from fortress.cli import run

# Guarded: worker processes (spawned for package analysis) import this module again.
if __name__ == "__main__":
    run()
