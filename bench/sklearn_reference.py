"""t-SNE reference for `npm run bench:projection`: scikit-learn's Barnes-Hut t-SNE on the same PCA-50 input, and the
quality of both layouts measured by the same code (trustworthiness(10) and 5-NN class accuracy).

    python3 bench/sklearn_reference.py X.f32 labels.u8 n dims ours.f32 [--umap umap.f32] [--no-tsne]

X.f32: n x dims float32 input; labels.u8: n class indices; ours.f32 (and umap.f32): n x 2 float32 layouts to score.
Prints JSON.
"""
import json
import sys
import time

import numpy as np
from sklearn.manifold import TSNE, trustworthiness
from sklearn.neighbors import NearestNeighbors


def knn_accuracy(layout, labels, k=5):
    """Share of points whose k nearest other points in the layout mostly share their class (ties: lowest class)."""
    _, idx = NearestNeighbors(n_neighbors=k + 1).fit(layout).kneighbors(layout)
    votes = labels[idx[:, 1:]]
    predicted = np.array([np.bincount(row, minlength=labels.max() + 1).argmax() for row in votes])
    return float((predicted == labels).mean())


def quality(x, layout, labels):
    out = {"knn5_accuracy": knn_accuracy(layout, labels)}
    # trustworthiness builds an n x n distance matrix: affordable up to ~20,000 points.
    if len(x) <= 20000:
        out["trustworthiness10"] = float(trustworthiness(x, layout, n_neighbors=10))
    return out


def main():
    x_file, labels_file, n, dims, ours_file = sys.argv[1:6]
    n, dims = int(n), int(dims)
    x = np.fromfile(x_file, dtype=np.float32).reshape(n, dims)
    labels = np.fromfile(labels_file, dtype=np.uint8).astype(np.int64)
    ours = np.fromfile(ours_file, dtype=np.float32).reshape(n, 2)
    result = {"ours": quality(x, ours, labels)}
    if "--umap" in sys.argv:
        umap = np.fromfile(sys.argv[sys.argv.index("--umap") + 1], dtype=np.float32).reshape(n, 2)
        result["umap"] = quality(x, umap, labels)
    if "--no-tsne" not in sys.argv:
        start = time.perf_counter()
        layout = TSNE(
            n_components=2, perplexity=30, init="pca", learning_rate="auto", random_state=0, method="barnes_hut"
        ).fit_transform(x)
        seconds = time.perf_counter() - start
        import sklearn

        result["sklearn"] = {"version": sklearn.__version__, "seconds": seconds, **quality(x, layout, labels)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
