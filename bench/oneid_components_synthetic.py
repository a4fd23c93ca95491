"""Synthetic load for the OneID Python step: 8M identifiers, 10M edges, 500k anchored members.

Run: `.venv/bin/python bench/oneid_components_synthetic.py` (prints seconds and a cProfile
top list). Results are recorded in bench/README.md. Not a test: no timing assertions.
"""
import time, numpy as np, pyarrow as pa, cProfile, pstats
from portrait.identity.graph import decide_edges, resolve_components
rng=np.random.default_rng(1)
n=8_000_000; m=10_000_000
types=np.array(['device_id','anonymous_id','account_id','phone','member_id'])
t_idx=rng.integers(0,5,n)
vals=pa.array(np.char.add('v', np.arange(n).astype(str)))
ty=pa.array(types[t_idx])
nodes=pa.table({'identifier_type': ty, 'identifier_value': vals, 'first_seen_at': pa.array(rng.integers(0,10**9,n).astype('datetime64[s]'))})
a=rng.integers(0,n,m); b=np.minimum(a+rng.integers(1,3,m), n-1)
edges=pa.table({'identifier_type_a': ty.take(pa.array(a)), 'identifier_value_a': vals.take(pa.array(a)), 'identifier_type_b': ty.take(pa.array(b)),'identifier_value_b': vals.take(pa.array(b)), 'rule': pa.array(['x']*m)})
mem=np.flatnonzero(t_idx==4)[:500000]
anchors=pa.table({'identifier_type': ty.take(pa.array(mem)), 'identifier_value': vals.take(pa.array(mem)), 'phone': pa.array(np.char.add('1380', (mem%1000).astype(str)))})
t=time.time()
splits=pa.table({c: pa.array([], pa.string()) for c in ['identifier_type_a','identifier_value_a','identifier_type_b','identifier_value_b']})
cProfile.run('reasons=decide_edges(nodes, edges, anchors, splits); r=resolve_components(nodes, edges.filter(reasons.is_null()))', '/tmp/prof')
print('secs', time.time()-t)
pstats.Stats('/tmp/prof').sort_stats('cumtime').print_stats(18)
