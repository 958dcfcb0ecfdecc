# Worker (and launcher) image for Dataflow and Flink.
# The Beam SDK version of the base image must equal the apache-beam version pinned in
# pyproject.toml (2.77.x), and the Python minor version must match (3.11).
FROM apache/beam_python3.11_sdk:2.77.0

WORKDIR /opt/mixture
COPY pyproject.toml README.md ./
COPY pipeline ./pipeline
RUN pip install --no-cache-dir . && python -c "import pipeline.run, fasttext, datasketch, presidio_analyzer"

# Workers never reach the network: everything they need is installed above.
ENV TLDEXTRACT_CACHE=/tmp/tldextract-cache

ENTRYPOINT ["/opt/apache/beam/boot"]
