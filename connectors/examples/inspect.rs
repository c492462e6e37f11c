fn main() {
    let path = std::env::args().nth(1).expect("file");
    let bytes = std::fs::read(&path).expect("read");
    match apihub_connectors::normalize::normalize(bytes, &Default::default(), &Default::default()) {
        Ok(n) => {
            println!(
                "{} {} ops={} valid={}",
                n.format,
                n.spec_version,
                n.operations_count(),
                n.valid()
            );
            for d in n.diagnostics.iter().take(10) {
                println!("  {d}");
            }
        }
        Err(e) => println!("error: {e}"),
    }
}
