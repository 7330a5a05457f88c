# The public API of eci-bridge-core from rustdoc JSON: every reachable item, field,
# variant and inherent method, one per line. Usage:
#   RUSTC_BOOTSTRAP=1 cargo rustdoc -p eci-bridge-core --lib -- -Z unstable-options --output-format json
#   python3 xtask/scripts/public_api.py target/doc/eci_bridge_core.json docs/public-api.txt
import json,sys,collections
d=json.load(open(sys.argv[1]))
idx=d['index']
root=d['root']
seen=set(); out=[]
def kind(it): return next(iter(it['inner'])) if isinstance(it['inner'],dict) else it['inner']
def walk(mid, path):
    m=idx[str(mid)] if str(mid) in idx else idx.get(mid)
    for iid in m['inner']['module']['items']:
        it=idx.get(str(iid)) or idx.get(iid)
        if it is None: continue
        k=kind(it)
        if k=='use':
            u=it['inner']['use']
            tid=u.get('id')
            name=u['name']
            t=idx.get(str(tid)) if tid is not None else None
            if t is None:
                out.append(('use', path+'::'+name)); continue
            it=t; k=kind(it)
            if k=='module':
                if tid in seen: continue
                seen.add(tid); walk(tid, path+'::'+name); continue
            iid=tid
        if it.get('visibility')!='public': continue
        name=it.get('name')
        p=path+'::'+str(name)
        if k=='module':
            if iid in seen: continue
            seen.add(iid); out.append(('mod',p)); walk(iid,p); continue
        out.append((k,p))
        inner=it['inner'][k]
        impls=inner.get('impls',[]) if isinstance(inner,dict) else []
        if k=='struct':
            kk=inner['kind']
            if isinstance(kk,dict) and 'plain' in kk:
                for f in kk['plain']['fields']:
                    fi=idx[str(f)]; out.append(('field',p+'::'+fi['name']))
        if k=='enum':
            for v in inner['variants']:
                out.append(('variant',p+'::'+idx[str(v)]['name']))
        for im in impls:
            imp=idx[str(im)]['inner']['impl']
            if imp.get('trait') is None:
                for f in imp['items']:
                    fi=idx[str(f)]
                    if fi.get('visibility')=='public': out.append(('method',p+'::'+str(fi['name'])))
walk(root,"eci_bridge_core")
c=collections.Counter(k for k,_ in out)
print(len(out), dict(c))
if len(sys.argv)>2:
    open(sys.argv[2],'w').write('\n'.join(f"{k} {p}" for k,p in sorted(out,key=lambda x:x[1]))+'\n')
