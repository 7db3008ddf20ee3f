// The migrations are embedded in the binary: a migration added or changed rebuilds it.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
