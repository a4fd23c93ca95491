"""The README's table for the persona model's choice of k: for k = 3..10 on the profiled
persons of a built warehouse, the split-half stability the model logged, silhouette (5,000-
person sample), Davies-Bouldin, Calinski-Harabasz, and the adjusted Rand index against the
generator's personas. Usage (after `make demo`):

    .venv/bin/python bench/persona_k_table.py [warehouse/portrait.duckdb] [data/truth]
"""

import json
import sys
from pathlib import Path

import duckdb
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, calinski_harabasz_score, davies_bouldin_score, silhouette_score

from portrait.evaluate.truth import true_person_ctes
from portrait.persona.features import fit_scaler, scale

db = sys.argv[1] if len(sys.argv) > 1 else "warehouse/portrait.duckdb"
truth = Path(sys.argv[2] if len(sys.argv) > 2 else "data/truth").resolve()
con = duckdb.connect(db, read_only=True)
f = con.execute(f"""
    with {true_person_ctes(truth)}
    select features.*, persons.persona
    from intermediate.int_persona__features as features
    left join true_person using (person_id)
    left join read_parquet('{truth / "persons.parquet"}') as persons using (person_key)
    where features.is_eligible order by person_id""").df()
stab = json.loads(con.execute("select metrics from intermediate.int_predictions__persona_model").fetchone()[0])["stability_by_k"]
x = scale(f, fit_scaler(f))
y = f["persona"]
m = y.notna().to_numpy()
print("| k | split-half stability | silhouette | Davies-Bouldin | Calinski-Harabasz | ARI vs truth |")
print("|---|---|---|---|---|---|")
for k in range(3, 11):
    lab = KMeans(k, n_init=8, random_state=42).fit_predict(x)
    print(f"| {k} | {stab[str(k)]:.3f} | {silhouette_score(x, lab, sample_size=5000, random_state=0):.3f} | "
          f"{davies_bouldin_score(x, lab):.3f} | {calinski_harabasz_score(x, lab):.0f} | "
          f"{adjusted_rand_score(y[m], lab[m]):.3f} |")
