nn::network! {
    pub struct Xor {
        input: 0,
        hidden: dense(8) -> rellu,
        hidden: dens(4),
        output: dense(1) -> sigmoid,
        loss: binary_cross_entrophy,
        l2: -1,
    }
}

fn main() {}
