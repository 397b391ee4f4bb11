//! GEMM throughput on DeiT-B shapes (197 tokens): `cargo bench -p vitfpga-golden --bench gemm`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use vitfpga_golden::kernels::gemm::{gemm, Packed};

fn deit_b_shapes(c: &mut Criterion) {
    let mut group = c.benchmark_group("gemm_i8");
    for (name, m, k, n) in [("qkv", 197, 768, 2304), ("fc1", 197, 768, 3072), ("fc2", 197, 3072, 768)] {
        let x: Vec<i8> = (0..m * k).map(|i| (i * 7 % 251) as i8).collect();
        let w: Vec<i8> = (0..n * k).map(|i| (i * 13 % 241) as i8).collect();
        let (px, pw) = (Packed::lhs(&x, m, k), Packed::rhs(&w, n, k));
        group.throughput(Throughput::Elements((m * k * n) as u64));
        group.bench_function(name, |b| b.iter(|| gemm(&px, &pw)));
    }
    group.finish();
}

criterion_group!(benches, deit_b_shapes);
criterion_main!(benches);
