"""Language-ID accuracy on a labelled JSONL file: prints accuracy, macro-F1 and confusions as JSON.

    python benchmarks/langid_accuracy.py FILE.jsonl [--text-field text] [--gold-field lang] [--model PATH] [--min-score 0.5]
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_langid import accuracy_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(accuracy_main(sys.argv[1:]))
