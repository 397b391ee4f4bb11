import re,sys
t=open(sys.argv[1]).read()
cells=re.findall(r'(DSP48E[12])\s*#\((.*?)\)\s*(\S+)\s*\((.*?)\);',t,re.S)
def g(par,k):
    m=re.search(r'\.'+k+r'\(([^)]*)\)',par); return m.group(1).strip() if m else '-'
for ty,par,name,ports in cells:
    pc=g(ports,'PCIN'); po=g(ports,'PCOUT'); bc=g(ports,'BCIN'); bo=g(ports,'BCOUT'); ac=g(ports,'ACIN')
    zero=lambda s: s=='-' or re.fullmatch(r"\d+'h0+|\d+'b0+|\{.*\}",s) is not None and set(re.sub(r"\d+'[hb]","",s))<=set('0{}, ')
    print("  %s %-22s A=%s B=%s M=%s P=%s C=%s AD=%s D=%s OPMODE=%s INMODE=%s PCIN=%s PCOUT=%s BCIN=%s BCOUT=%s" % (ty,name[-22:],g(par,'AREG'),g(par,'BREG'),g(par,'MREG'),g(par,'PREG'),g(par,'CREG'),g(par,'ADREG'),g(par,'DREG'),g(ports,'OPMODE')[:14],g(ports,'INMODE')[:12],
      'none' if zero(pc) else 'CONN','none' if po in('-','') else 'CONN','none' if zero(bc) else 'CONN','none' if bo in('-','') else 'CONN'))
