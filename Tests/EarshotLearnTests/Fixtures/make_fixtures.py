"""Golden fixtures for EarshotLearn, produced by scikit-learn / scipy.

Re-run (from the repository root):
    bash scripts/bench-env.sh && .bench-venv/bin/python Tests/EarshotLearnTests/Fixtures/make_fixtures.py

Writes tfidf.json, logistic.json, roc.json, correlation.json, scaler.json and cv.json next to this file.
Versions used are recorded in each file under "versions". All randomness is seeded.
"""
import json
import os

import numpy as np
import scipy
import sklearn
from scipy import stats
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler

HERE = os.path.dirname(os.path.abspath(__file__))
VERSIONS = {"sklearn": sklearn.__version__, "scipy": scipy.__version__, "numpy": np.__version__}
TOL = 1e-10
MAX_ITER = 10000


def write(name, payload):
    payload["versions"] = VERSIONS
    path = os.path.join(HERE, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(payload, f, ensure_ascii=False, separators=(",", ":"))
    print(f"{name}: {os.path.getsize(path)} bytes")


def csr(m):
    m = m.tocsr()
    m.sort_indices()
    return {"rows": m.shape[0], "columns": m.shape[1], "indptr": m.indptr.tolist(),
            "indices": m.indices.tolist(), "data": m.data.tolist()}


DOCUMENTS = [
    "The quick brown fox jumps over the lazy dog.",
    "THE QUICK BROWN FOX!!! Jumps, over; the lazy dog?",
    "",
    "a b c d e f",
    "I'm can't won't it's O'Brien's rock 'n' roll",
    "Numbers: 42, 3.14159, 2024-01-01, 1st 2nd 3rd 100%",
    "under_score snake_case_words __dunder__ _x x_",
    "Café naïve résumé coöperate façade",
    "cafe\u0301 decomposed e\u0301te\u0301",
    "ΟΔΟΣ ΣΑΣ Σ ΑΣΑ μέσα ΟΔΟΣ.",
    "İstanbul IŞIK straße STRASSE",
    "Москва москва МОСКВА Санкт-Петербург",
    "東京 タワー 日本語のテキスト 中文 文本",
    "مرحبا بالعالم ١٢٣ ٤٥",
    "x² ½a Ⅷb ⅷ 𝟘𝟙 ①② ",
    "emoji 😀 smile 😀😀 ok👍ok",
    "repeat repeat repeat repeat repeat word word",
    "Tab\tseparated\nnew line\r\nwindows  double  space",
    "hyphen-ated co-operate e-mail re-enter",
    "URL http://example.com/path?q=1&r=two email me@example.org",
    "ǅemal ǈubljana Ǌ titlecase",
    "ＦＵＬＬ ｗｉｄｔｈ ＡＢＣ ａｂｃ １２３",
    "Ångström Å Å K kelvin Ω ohm",
    "ﬁne ﬂow oﬀice",
    "one",
    "two words",
    "!!! ??? ... ---",
    "the the the the",
    "MiXeD CaSe mIxEd cAsE",
    "zebra apple Zebra Apple ZEBRA",
    "speech audio model membership inference audit",
    "membership inference attacks on audio language models",
    "blind baseline acoustic features text features metadata",
    "logistic regression stratified ten fold cross validation",
    "distribution shift inflates the auc of membership inference",
    "silence and noise collapse the signal",
    "tts resynthesis with other voices",
    "librispeech ted lium spgispeech clotho",
    "the model memorizes voice and text together",
    "a a a bb bb ccc",
]


def tfidf_fixture():
    cases = []
    full = TfidfVectorizer(ngram_range=(1, 2))
    matrix = full.fit_transform(DOCUMENTS)
    cases.append({"name": "fit_transform_all", "fit": DOCUMENTS, "transform": DOCUMENTS, "min_df": 1,
                  "vocabulary": full.get_feature_names_out().tolist(), "idf": full.idf_.tolist(),
                  "matrix": csr(matrix)})
    part = TfidfVectorizer(ngram_range=(1, 2))
    part.fit(DOCUMENTS[:28])
    cases.append({"name": "fit_first_28_transform_rest", "fit": DOCUMENTS[:28], "transform": DOCUMENTS[28:],
                  "min_df": 1, "vocabulary": part.get_feature_names_out().tolist(), "idf": part.idf_.tolist(),
                  "matrix": csr(part.transform(DOCUMENTS[28:]))})
    pruned = TfidfVectorizer(ngram_range=(1, 2), min_df=2)
    pruned_matrix = pruned.fit_transform(DOCUMENTS)
    cases.append({"name": "min_df_2", "fit": DOCUMENTS, "transform": DOCUMENTS, "min_df": 2,
                  "vocabulary": pruned.get_feature_names_out().tolist(), "idf": pruned.idf_.tolist(),
                  "matrix": csr(pruned_matrix)})
    unigrams = TfidfVectorizer()
    cases.append({"name": "unigrams_only", "fit": DOCUMENTS, "transform": DOCUMENTS, "min_df": 1,
                  "ngram_max": 1, "vocabulary": None, "idf": None, "matrix": None})
    unigram_matrix = unigrams.fit_transform(DOCUMENTS)
    cases[-1].update({"vocabulary": unigrams.get_feature_names_out().tolist(), "idf": unigrams.idf_.tolist(),
                      "matrix": csr(unigram_matrix)})
    write("tfidf.json", {"cases": cases})


WORDS_A = [f"w{i:03d}" for i in range(120)]


def synthetic_documents(n, seed):
    """Two classes with slightly different word distributions; deterministic."""
    rng = np.random.default_rng(seed)
    docs, labels = [], []
    vocab = np.array(WORDS_A)
    base = rng.dirichlet(np.ones(len(vocab)))
    shifted = base * np.exp(rng.normal(0, 0.6, len(vocab)))
    shifted /= shifted.sum()
    for i in range(n):
        label = i % 2
        probs = shifted if label else base
        length = rng.integers(3, 15)
        docs.append(" ".join(rng.choice(vocab, size=length, p=probs)))
        labels.append(label)
    return docs, labels


def fit_lr(x, y, c):
    model = LogisticRegression(C=c, tol=TOL, max_iter=MAX_ITER)
    model.fit(x, y)
    return model


def scaled_gradient_and_hessian(x, y, c, w, b):
    """Gradient and Hessian of (1/n) sum log(1+exp(-y z)) + |w|^2/(2Cn), y in {-1,+1}, intercept last."""
    x = np.asarray(x.todense()) if hasattr(x, "todense") else np.asarray(x)
    n = len(y)
    s = 2 * np.asarray(y) - 1
    xt = np.hstack([x, np.ones((n, 1))])
    z = xt @ np.append(w, b)
    sig = 1 / (1 + np.exp(s * z))  # sigma(-s z)
    penalty = np.append(np.full(len(w), 1 / (c * n)), 0.0)
    grad = xt.T @ (-s * sig) / n + penalty * np.append(w, 0.0)
    d = sig * (1 - sig)
    hess = (xt.T * d) @ xt / n + np.diag(penalty)
    return grad, hess


def newton_polish(x, y, c, model):
    """The exact optimum: Newton steps from scikit-learn's solution until the gradient stops shrinking.

    scikit-learn's lbfgs stops on its ftol test (64 eps) before reaching tol=1e-10, so its coefficients carry
    an error of about |gradient| / (smallest Hessian eigenvalue); the polished point is the reference for
    tight comparisons, the raw scikit-learn point for loose ones.
    """
    theta = np.append(model.coef_[0], model.intercept_[0])
    grad, _ = scaled_gradient_and_hessian(x, y, c, theta[:-1], theta[-1])
    raw = float(np.abs(grad).max())
    for _ in range(20):
        grad, hess = scaled_gradient_and_hessian(x, y, c, theta[:-1], theta[-1])
        step = np.linalg.solve(hess, grad)
        candidate = theta - step
        g2, _ = scaled_gradient_and_hessian(x, y, c, candidate[:-1], candidate[-1])
        if np.abs(g2).max() >= np.abs(grad).max():
            break
        theta = candidate
    grad, _ = scaled_gradient_and_hessian(x, y, c, theta[:-1], theta[-1])
    return theta[:-1], theta[-1], raw, float(np.abs(grad).max())


def probabilities(x, w, b):
    x = np.asarray(x.todense()) if hasattr(x, "todense") else np.asarray(x)
    return (1 / (1 + np.exp(-(x @ w + b)))).tolist()


def lr_case(name, kind, c, x_fit, y, x_test, model, extra):
    w, b, raw, polished = newton_polish(x_fit, y, c, model)
    case = {"name": name, "kind": kind, "c": c, "y": list(map(int, y)), "coef": model.coef_[0].tolist(),
            "intercept": float(model.intercept_[0]), "n_iter": int(model.n_iter_[0]),
            "proba_test": model.predict_proba(x_test)[:, 1].tolist(), "sklearn_gradient_inf": raw,
            "coef_optimum": w.tolist(), "intercept_optimum": float(b), "optimum_gradient_inf": polished,
            "proba_test_optimum": probabilities(x_test, w, b)}
    case.update(extra)
    return case


def logistic_fixture():
    rng = np.random.default_rng(7)
    cases = []
    # Noisy: overlapping Gaussians.
    x = rng.normal(size=(200, 5))
    logits = x @ np.array([1.0, -0.5, 0.25, 0.0, 2.0]) + 0.3
    y = (rng.random(200) < 1 / (1 + np.exp(-logits))).astype(int)
    x_test = rng.normal(size=(20, 5))
    for c in (0.01, 1.0, 100.0):
        m = fit_lr(x, y, c)
        cases.append(lr_case(f"noisy_c{c}", "dense", c, x, y, x_test, m, {"x": x.tolist(), "x_test": x_test.tolist()}))
    # Nearly separable with scaled columns.
    x2 = rng.normal(size=(80, 3)) * np.array([1.0, 10.0, 0.1])
    y2 = (x2[:, 0] + 0.1 * x2[:, 1] + rng.normal(0, 0.3, 80) > 0).astype(int)
    for c in (1.0, 10.0):
        m = fit_lr(x2, y2, c)
        cases.append(lr_case(f"separable_c{c}", "dense", c, x2, y2, x2[:10], m,
                             {"x": x2.tolist(), "x_test": x2[:10].tolist()}))
    # Sparse TF-IDF input.
    docs, labels = synthetic_documents(160, seed=11)
    vec = TfidfVectorizer(ngram_range=(1, 2))
    xs = vec.fit_transform(docs[:140])
    xt = vec.transform(docs[140:])
    for c in (1.0, 10.0):
        m = fit_lr(xs, labels[:140], c)
        cases.append(lr_case(f"tfidf_c{c}", "sparse", c, xs, labels[:140], xt, m,
                             {"documents": docs, "fit_rows": 140}))
    write("logistic.json", {"tol": TOL, "max_iter": MAX_ITER, "cases": cases})


def roc_fixture():
    rng = np.random.default_rng(3)
    cases = []

    def add(name, scores, labels):
        scores = [float(s) for s in scores]
        labels = [int(l) for l in labels]
        fpr, tpr, thr = roc_curve(labels, scores, drop_intermediate=False)
        cases.append({"name": name, "scores": scores, "labels": labels, "auc": roc_auc_score(labels, scores),
                      "fpr": fpr.tolist(), "tpr": tpr.tolist(),
                      "thresholds": [None if not np.isfinite(t) else float(t) for t in thr]})

    add("continuous", rng.normal(size=60) + np.repeat([0, 0.8], 30), np.repeat([0, 1], 30))
    add("heavy_ties", rng.integers(0, 4, size=50).astype(float), rng.integers(0, 2, size=50))
    add("all_tied", [0.5] * 10, [0, 1] * 5)
    add("small", [0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])
    add("unbalanced", rng.random(31), [1] * 4 + [0] * 27)
    write("roc.json", {"cases": cases})


def correlation_fixture():
    rng = np.random.default_rng(5)
    cases = []

    def add(name, x, y):
        x = [float(v) for v in x]
        y = [float(v) for v in y]
        p = stats.pearsonr(x, y)
        ci = p.confidence_interval(0.95)
        ci90 = p.confidence_interval(0.90)
        s = stats.spearmanr(x, y)
        cases.append({"name": name, "x": x, "y": y, "pearson_r": float(p.statistic), "pearson_p": float(p.pvalue),
                      "pearson_ci95": [float(ci.low), float(ci.high)],
                      "pearson_ci90": [float(ci90.low), float(ci90.high)],
                      "spearman_rho": float(s.statistic), "spearman_p": float(s.pvalue)})

    a = rng.normal(size=40)
    add("strong", a, 2 * a + rng.normal(0, 0.3, 40))
    add("weak", rng.normal(size=50), rng.normal(size=50))
    b = rng.normal(size=12)
    add("negative_small", b, -b + rng.normal(0, 1.0, 12))
    add("ties", rng.integers(0, 5, 30), rng.integers(0, 4, 30))
    add("four_points", [1, 2, 3, 4], [1.5, 1.0, 3.5, 4.2])
    c = rng.normal(size=500)
    add("large_n", c, c + rng.normal(0, 2.0, 500))
    d = rng.normal(size=2000)
    add("tiny_p", d, d + rng.normal(0, 0.5, 2000))
    write("correlation.json", {"cases": cases})


def scaler_fixture():
    rng = np.random.default_rng(9)
    x = rng.normal(size=(25, 4)) * np.array([1.0, 100.0, 1e-3, 1.0]) + np.array([0.0, 5.0, -2.0, 0.0])
    x[:, 3] = 7.25  # constant column
    s = StandardScaler().fit(x)
    write("scaler.json", {"x": x.tolist(), "mean": s.mean_.tolist(), "var": s.var_.tolist(),
                          "scale": s.scale_.tolist(), "transformed": s.transform(x).tolist()})


def cv_fixture():
    rng = np.random.default_rng(21)
    n = 300
    y = np.array([0] * 150 + [1] * 150)
    x = rng.normal(size=(n, 6)) * np.array([1, 3, 0.5, 10, 1, 1]) + np.outer(y, [0.4, 0.0, 0.2, 3.0, 0.0, 0.1])
    folds = np.zeros(n, dtype=int)
    for k, (_, test) in enumerate(StratifiedKFold(10, shuffle=True, random_state=0).split(x, y)):
        folds[test] = k
    oof = np.zeros(n)
    for k in range(10):
        tr, te = folds != k, folds == k
        sc = StandardScaler().fit(x[tr])
        m = fit_lr(sc.transform(x[tr]), y[tr], 1.0)
        oof[te] = m.predict_proba(sc.transform(x[te]))[:, 1]
    dense = {"x": x.tolist(), "y": y.tolist(), "folds": folds.tolist(), "c": 1.0, "oof": oof.tolist(),
             "auc": roc_auc_score(y, oof)}
    docs, labels = synthetic_documents(200, seed=4)
    labels = np.array(labels)
    tfolds = np.zeros(len(docs), dtype=int)
    for k, (_, test) in enumerate(StratifiedKFold(10, shuffle=True, random_state=1).split(docs, labels)):
        tfolds[test] = k
    toof = np.zeros(len(docs))
    for k in range(10):
        tr = np.where(tfolds != k)[0]
        te = np.where(tfolds == k)[0]
        vec = TfidfVectorizer(ngram_range=(1, 2))
        xtr = vec.fit_transform([docs[i] for i in tr])
        m = fit_lr(xtr, labels[tr], 1.0)
        toof[te] = m.predict_proba(vec.transform([docs[i] for i in te]))[:, 1]
    text = {"documents": docs, "y": labels.tolist(), "folds": tfolds.tolist(), "c": 1.0, "oof": toof.tolist(),
            "auc": roc_auc_score(labels, toof)}
    write("cv.json", {"tol": TOL, "max_iter": MAX_ITER, "dense": dense, "text": text})


if __name__ == "__main__":
    tfidf_fixture()
    logistic_fixture()
    roc_fixture()
    correlation_fixture()
    scaler_fixture()
    cv_fixture()
