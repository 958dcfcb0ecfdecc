# Worker (and launcher) image for Dataflow and Flink.
# The Beam SDK version of the base image must equal the apache-beam version pinned in
# pyproject.toml (2.77.x), and the Python minor version must match (3.11).
FROM apache/beam_python3.11_sdk:2.77.0

WORKDIR /opt/mixture
COPY pyproject.toml README.md ./
COPY pipeline ./pipeline
# the tokenizers extra: mixture.tokenizer kind hf / sentencepiece (mixtures/palm2_like.yaml) count on the workers
RUN pip install --no-cache-dir '.[tokenizers]' \
    && python -c "import pipeline.run, fasttext, datasketch, presidio_analyzer, sentencepiece, tokenizers"

# Workers never reach the network: everything they need is installed above.
ENV TLDEXTRACT_CACHE=/tmp/tldextract-cache

ENTRYPOINT ["/opt/apache/beam/boot"]
