//! Line names drawn from every word the generator writes, so that none of them can meet a
//! name of its own: each network below must compile and pass the differential test (every
//! path gives the per-sample numbers, `differential/mod.rs`).
//!
//! The words are nn-macros' `generate/vocabulary.txt`, which nn-macros' own test keeps equal
//! to what the generator writes; `every_word_of_the_generator_names_a_line` checks that every
//! one of them names a line here (keywords as raw identifiers), so a word the generator starts
//! to write fails that test until it is added. Each word names a line twice, in two networks
//! (the list in order, then reversed), each time in a line of another kind: a layer, a sum, a
//! concatenation, dropout, maxout, learnable activations. Then come the patterns that met
//! before names were hygienic (`d_a` and `a_d`, `t`, single letters, the roles themselves),
//! raw identifiers, names of std and nalgebra items, and names that are not ASCII.
//!
//! Every network is wide enough for the batched path (8 x 8 layers) and has dropout, so the
//! batched training calls are checked against the per-sample ones mask by mask.

// The names are the generator's words, not the style of a user's code.
#![allow(non_snake_case, non_camel_case_types, mixed_script_confusables)]

mod differential;

use differential::{differential, Spec};
use nn::network;

/// Words a line cannot be named: keywords that have no raw form, and the settings' keys;
/// `Loss` is too close to the setting `loss`: the checker asks whether `loss` was meant.
const UNWRITABLE: &[&str] = &["self", "Self", "crate", "super", "_", "input", "loss", "l2", "Loss"];

/// Every word of the generator's vocabulary other than `UNWRITABLE` names a line of this file.
#[test]
fn every_word_of_the_generator_names_a_line() {
    let source = include_str!("names.rs");
    let lines: std::collections::BTreeSet<&str> = source
        .lines()
        .filter_map(|line| {
            let (key, rest) = line.trim_start().split_once(": ")?;
            let key = key.strip_prefix("r#").unwrap_or(key);
            let is_line = key.chars().all(|c| c.is_alphanumeric() || c == '_')
                && line.starts_with("        ")
                && !rest.starts_with('&');
            is_line.then_some(key)
        })
        .collect();
    let vocabulary = include_str!("../nn-macros/src/generate/vocabulary.txt");
    let missing: Vec<&str> = vocabulary
        .lines()
        .filter(|w| !w.is_empty() && !w.starts_with('#') && !UNWRITABLE.contains(w))
        .filter(|w| !lines.contains(w))
        .collect();
    assert!(missing.is_empty(), "words of the generator that name no line here: {missing:?}");
}

network! {
    struct Forward0 {
        input: 8,
        Activation: dense(8) -> tanh,
        B: dense(8) -> prelu_shared,
        BATCHED: dense(8) -> tanh,
        Bias: BATCHED + Activation,
        ChaCha8Rng: concat(Bias, Activation) -> dense(8) -> relu,
        Clone: dense(8) -> softplus -> dropout(0.25),
        Debug: maxout(8, 2) -> prelu,
        Dense: dense(8) -> tanh,
        Elu: dense(8) -> prelu_shared,
        FLOPS: Elu + Dense,
        Float: concat(FLOPS, Dense) -> dense(8) -> relu,
        FnMut: dense(8) -> softplus -> dropout(0.25),
        Gelu: maxout(8, 2) -> prelu,
        GeluTanh: dense(8) -> tanh,
        Glorot: dense(8) -> prelu_shared,
        HardSigmoid: Glorot + GeluTanh,
        He: concat(HardSigmoid, GeluTanh) -> dense(8) -> relu,
        INPUTS: dense(8) -> softplus -> dropout(0.25),
        Identity: maxout(8, 2) -> prelu,
        Init: dense(8) -> tanh,
        LAYERS: dense(8) -> prelu_shared,
        LayerInfo: LAYERS + Init,
        LeakyRelu: concat(LayerInfo, Init) -> dense(8) -> relu,
        Model: dense(8) -> softplus -> dropout(0.25),
        NAME: maxout(8, 2) -> prelu,
        out: concat(NAME, Activation) -> dense(3),
        loss: mse,
        l2: 0.001,
    }
}

network! {
    struct Forward1 {
        input: 8,
        Network: dense(8) -> tanh,
        None: dense(8) -> prelu_shared,
        OUTPUTS: None + Network,
        Option: concat(OUTPUTS, Network) -> dense(8) -> relu,
        PARAMS: dense(8) -> softplus -> dropout(0.25),
        Param: maxout(8, 2) -> prelu,
        ParamKind: dense(8) -> tanh,
        ParamMut: dense(8) -> prelu_shared,
        PartialEq: ParamMut + ParamKind,
        Prelu: concat(PartialEq, ParamKind) -> dense(8) -> relu,
        R: dense(8) -> softplus -> dropout(0.25),
        Recurrent: maxout(8, 2) -> prelu,
        Relu: dense(8) -> tanh,
        Rng: dense(8) -> prelu_shared,
        SMatrix: Rng + Relu,
        SVector: concat(SMatrix, Relu) -> dense(8) -> relu,
        SeedableRng: dense(8) -> softplus -> dropout(0.25),
        Sigmoid: maxout(8, 2) -> prelu,
        Sized: dense(8) -> tanh,
        Some: dense(8) -> prelu_shared,
        StateVisitor: Some + Sized,
        Swish: concat(StateVisitor, Sized) -> dense(8) -> relu,
        T: dense(8) -> softplus -> dropout(0.25),
        Tanh: maxout(8, 2) -> prelu,
        out: concat(Tanh, Network) -> dense(3),
        loss: mse,
        l2: 0.001,
    }
}

network! {
    struct Forward2 {
        input: 8,
        Weight: dense(8) -> tanh,
        __private: dense(8) -> prelu_shared,
        a: __private + Weight,
        activate: concat(a, Weight) -> dense(8) -> relu,
        activate_backward: dense(8) -> softplus -> dropout(0.25),
        activation: maxout(8, 2) -> prelu,
        add_assign: dense(8) -> tanh,
        add_bias: dense(8) -> prelu_shared,
        add_rows: add_bias + add_assign,
        allow: concat(add_rows, add_assign) -> dense(8) -> relu,
        r#as: dense(8) -> softplus -> dropout(0.25),
        as_deref_mut: maxout(8, 2) -> prelu,
        as_mut_slice: dense(8) -> tanh,
        as_slice: dense(8) -> prelu_shared,
        assert: as_slice + as_mut_slice,
        axpy: concat(assert, as_mut_slice) -> dense(8) -> relu,
        b: dense(8) -> softplus -> dropout(0.25),
        back: maxout(8, 2) -> prelu,
        backprop: dense(8) -> tanh,
        backprop_batch: dense(8) -> prelu_shared,
        backprop_batched: backprop_batch + backprop,
        beta: concat(backprop_batched, backprop) -> dense(8) -> relu,
        bias: dense(8) -> softplus -> dropout(0.25),
        dense_batch: maxout(8, 2) -> prelu,
        out: concat(dense_batch, Weight) -> dense(3),
        loss: mse,
        l2: 0.001,
    }
}

network! {
    struct Forward3 {
        input: 8,
        binary_cross_entropy_with_logits: dense(8) -> tanh,
        binary_cross_entropy_with_logits_grad: dense(8) -> prelu_shared,
        buffer: binary_cross_entropy_with_logits_grad + binary_cross_entropy_with_logits,
        carry: concat(buffer, binary_cross_entropy_with_logits) -> dense(8) -> relu,
        chunks_exact: dense(8) -> softplus -> dropout(0.25),
        chunks_exact_mut: maxout(8, 2) -> prelu,
        clippy: dense(8) -> tanh,
        clone: dense(8) -> prelu_shared,
        column: clone + clippy,
        column_iter_mut: concat(column, clippy) -> dense(8) -> relu,
        column_sum: dense(8) -> softplus -> dropout(0.25),
        columns: maxout(8, 2) -> prelu,
        component_mul: dense(8) -> tanh,
        r#const: dense(8) -> prelu_shared,
        copy_from: r#const + component_mul,
        copy_from_slice: concat(copy_from, component_mul) -> dense(8) -> relu,
        copy_rows: dense(8) -> softplus -> dropout(0.25),
        core: maxout(8, 2) -> prelu,
        cotangent: dense(8) -> tanh,
        cross_entropy_with_logits: dense(8) -> prelu_shared,
        cross_entropy_with_logits_grad: cross_entropy_with_logits + cotangent,
        d: concat(cross_entropy_with_logits_grad, cotangent) -> dense(8) -> relu,
        d_a: dense(8) -> softplus -> dropout(0.25),
        d_ahat: maxout(8, 2) -> prelu,
        out: concat(d_ahat, binary_cross_entropy_with_logits) -> dense(3),
        loss: mse,
        l2: 0.001,
    }
}

network! {
    struct Forward4 {
        input: 8,
        d_h: dense(8) -> tanh,
        d_input: dense(8) -> prelu_shared,
        d_x: d_input + d_h,
        d_z: concat(d_x, d_h) -> dense(8) -> relu,
        dead_code: dense(8) -> softplus -> dropout(0.25),
        derive: maxout(8, 2) -> prelu,
        df: dense(8) -> tanh,
        dh: dense(8) -> prelu_shared,
        doc: dh + df,
        dropout: concat(doc, df) -> dense(8) -> relu,
        r#dyn: dense(8) -> softplus -> dropout(0.25),
        dz: maxout(8, 2) -> prelu,
        error: dense(8) -> tanh,
        f: dense(8) -> prelu_shared,
        f32: f + error,
        f64: concat(f32, error) -> dense(8) -> relu,
        features: dense(8) -> softplus -> dropout(0.25),
        fill: maxout(8, 2) -> prelu,
        first: dense(8) -> tanh,
        fixed_columns: dense(8) -> prelu_shared,
        fixed_rows: fixed_columns + first,
        fixed_rows_mut: concat(fixed_rows, first) -> dense(8) -> relu,
        flops: dense(8) -> softplus -> dropout(0.25),
        r#fn: maxout(8, 2) -> prelu,
        out: concat(r#fn, d_h) -> dense(3),
        loss: mse,
        l2: 0.001,
    }
}

network! {
    struct Forward5 {
        input: 8,
        r#for: dense(8) -> tanh,
        forward: dense(8) -> prelu_shared,
        forward_batch: forward + r#for,
        forward_batch_batched: concat(forward_batch, r#for) -> dense(8) -> relu,
        forward_batched: dense(8) -> softplus -> dropout(0.25),
        forward_training: maxout(8, 2) -> prelu,
        from_column_slice: dense(8) -> tanh,
        from_element: dense(8) -> prelu_shared,
        g: from_element + from_column_slice,
        gamma: concat(g, from_column_slice) -> dense(8) -> relu,
        gemm: dense(8) -> softplus -> dropout(0.25),
        ger: maxout(8, 2) -> prelu,
        grad: dense(8) -> tanh,
        graph: dense(8) -> prelu_shared,
        half: graph + grad,
        r#if: concat(half, grad) -> dense(8) -> relu,
        r#impl: dense(8) -> softplus -> dropout(0.25),
        r#in: maxout(8, 2) -> prelu,
        inline: dense(8) -> tanh,
        inputs: dense(8) -> prelu_shared,
        into_owned: inputs + inline,
        is_some: concat(into_owned, inline) -> dense(8) -> relu,
        iter: dense(8) -> softplus -> dropout(0.25),
        iter_mut: maxout(8, 2) -> prelu,
        out: concat(iter_mut, r#for) -> dense(3),
        loss: mse,
        l2: 0.001,
    }
}

network! {
    struct Forward6 {
        input: 8,
        j: dense(8) -> tanh,
        join: dense(8) -> prelu_shared,
        jvp: join + j,
        kernels: concat(jvp, j) -> dense(8) -> relu,
        kind: dense(8) -> softplus -> dropout(0.25),
        lambda: maxout(8, 2) -> prelu,
        learnable_backward: dense(8) -> tanh,
        learnable_forward: dense(8) -> prelu_shared,
        r#let: learnable_forward + learnable_backward,
        linear: concat(r#let, learnable_backward) -> dense(8) -> relu,
        linear_backward_input: dense(8) -> softplus -> dropout(0.25),
        linear_backward_params: maxout(8, 2) -> prelu,
        lit: dense(8) -> tanh,
        loss_and_grad: dense(8) -> prelu_shared,
        loss_and_grad_batch: loss_and_grad + lit,
        loss_and_grad_batch_into: concat(loss_and_grad_batch, lit) -> dense(8) -> relu,
        loss_and_grad_batch_parallel: dense(8) -> softplus -> dropout(0.25),
        loss_and_grad_batch_parallel_into: maxout(8, 2) -> prelu,
        loss_and_grad_batch_training: dense(8) -> tanh,
        loss_and_grad_input: dense(8) -> prelu_shared,
        loss_and_grad_into: loss_and_grad_input + loss_and_grad_batch_training,
        loss_and_grad_training: concat(loss_and_grad_into, loss_and_grad_batch_training) -> dense(8) -> relu,
        loss_batch: dense(8) -> softplus -> dropout(0.25),
        loss_training: maxout(8, 2) -> prelu,
        out: concat(loss_training, j) -> dense(3),
        loss: mse,
        l2: 0.001,
    }
}

network! {
    struct Forward7 {
        input: 8,
        map: dense(8) -> tanh,
        mask: dense(8) -> prelu_shared,
        r#match: mask + map,
        maxout: concat(r#match, map) -> dense(8) -> relu,
        maxout_backward: dense(8) -> softplus -> dropout(0.25),
        maxout_jvp: maxout(8, 2) -> prelu,
        mse: dense(8) -> tanh,
        mse_grad: dense(8) -> prelu_shared,
        r#mut: mse_grad + mse,
        n: concat(r#mut, mse) -> dense(8) -> relu,
        name: dense(8) -> softplus -> dropout(0.25),
        needless_borrow: maxout(8, 2) -> prelu,
        new: dense(8) -> tanh,
        nn: dense(8) -> prelu_shared,
        non_camel_case_types: nn + new,
        non_snake_case: concat(non_camel_case_types, new) -> dense(8) -> relu,
        none: dense(8) -> softplus -> dropout(0.25),
        norm_squared: maxout(8, 2) -> prelu,
        normalize: dense(8) -> tanh,
        normalize_backward: dense(8) -> prelu_shared,
        normalize_jvp: normalize_backward + normalize,
        one: concat(normalize_jvp, normalize) -> dense(8) -> relu,
        option: dense(8) -> softplus -> dropout(0.25),
        other: maxout(8, 2) -> prelu,
        out: concat(other, map) -> dense(3),
        loss: mse,
        l2: 0.001,
    }
}

network! {
    struct Forward8 {
        input: 8,
        outputs: dense(8) -> tanh,
        p: dense(8) -> prelu_shared,
        params: p + outputs,
        penalty: concat(params, outputs) -> dense(8) -> relu,
        penalty_grad: dense(8) -> softplus -> dropout(0.25),
        r#pub: maxout(8, 2) -> prelu,
        rand: dense(8) -> tanh,
        reads: dense(8) -> prelu_shared,
        recurrent: reads + rand,
        rest: concat(recurrent, rand) -> dense(8) -> relu,
        r#return: dense(8) -> softplus -> dropout(0.25),
        rev: maxout(8, 2) -> prelu,
        rng: dense(8) -> tanh,
        rows: dense(8) -> prelu_shared,
        scale: rows + rng,
        second: concat(scale, rng) -> dense(8) -> relu,
        seed: dense(8) -> softplus -> dropout(0.25),
        seed_from_u64: maxout(8, 2) -> prelu,
        seeded: dense(8) -> tanh,
        set_column: dense(8) -> prelu_shared,
        shape: set_column + seeded,
        slope: concat(shape, seeded) -> dense(8) -> relu,
        softmax: dense(8) -> softplus -> dropout(0.25),
        softmax_backward: maxout(8, 2) -> prelu,
        out: concat(softmax_backward, outputs) -> dense(3),
        loss: mse,
        l2: 0.001,
    }
}

network! {
    struct Forward9 {
        input: 8,
        spare: dense(8) -> tanh,
        split_at: dense(8) -> prelu_shared,
        split_at_mut: split_at + spare,
        state: concat(split_at_mut, spare) -> dense(8) -> relu,
        r#static: dense(8) -> softplus -> dropout(0.25),
        step: maxout(8, 2) -> prelu,
        str: dense(8) -> tanh,
        r#struct: dense(8) -> prelu_shared,
        sum: r#struct + str,
        t: concat(sum, str) -> dense(8) -> relu,
        t_a: dense(8) -> softplus -> dropout(0.25),
        t_ahat: maxout(8, 2) -> prelu,
        t_b: dense(8) -> tanh,
        t_c: dense(8) -> prelu_shared,
        t_d: t_c + t_b,
        t_features: concat(t_d, t_b) -> dense(8) -> relu,
        t_z: dense(8) -> softplus -> dropout(0.25),
        target: maxout(8, 2) -> prelu,
        targets: dense(8) -> tanh,
        total: dense(8) -> prelu_shared,
        tr_mul: total + targets,
        trace: concat(tr_mul, targets) -> dense(8) -> relu,
        r#trait: dense(8) -> softplus -> dropout(0.25),
        transpose: maxout(8, 2) -> prelu,
        out: concat(transpose, spare) -> dense(3),
        loss: mse,
        l2: 0.001,
    }
}

network! {
    struct Forward10 {
        input: 8,
        tz: dense(8) -> tanh,
        u: dense(8) -> prelu_shared,
        u64: u + tz,
        unused_mut: concat(u64, tz) -> dense(8) -> relu,
        unused_variables: dense(8) -> softplus -> dropout(0.25),
        usize: maxout(8, 2) -> prelu,
        v: dense(8) -> tanh,
        values: dense(8) -> prelu_shared,
        visit: values + v,
        visit_mut: concat(visit, v) -> dense(8) -> relu,
        vjp: dense(8) -> softplus -> dropout(0.25),
        w: maxout(8, 2) -> prelu,
        weight: dense(8) -> tanh,
        with_activation: dense(8) -> prelu_shared,
        with_scratch: with_activation + weight,
        x: concat(with_scratch, weight) -> dense(8) -> relu,
        x0: dense(8) -> softplus -> dropout(0.25),
        x1: maxout(8, 2) -> prelu,
        xs: dense(8) -> tanh,
        y: dense(8) -> prelu_shared,
        y0: y + xs,
        y1: concat(y0, xs) -> dense(8) -> relu,
        ys: dense(8) -> softplus -> dropout(0.25),
        z: maxout(8, 2) -> prelu,
        out: concat(z, tz) -> dense(3),
        loss: mse,
        l2: 0.001,
    }
}

network! {
    struct Forward11 {
        input: 8,
        z_t: dense(8) -> tanh,
        zero: dense(8) -> prelu_shared,
        zeros: zero + z_t,
        zip: concat(zeros, z_t) -> dense(8) -> relu,
        zip_apply: dense(8) -> softplus -> dropout(0.25),
        zip_mut: maxout(8, 2) -> prelu,
        zip_state_mut: dense(8) -> tanh,
        zip_zip_map: dense(8) -> prelu_shared,
        c: zip_zip_map + zip_state_mut,
        e: concat(c, zip_state_mut) -> dense(8) -> relu,
        h: dense(8) -> softplus -> dropout(0.25),
        i: maxout(8, 2) -> prelu,
        k: dense(8) -> tanh,
        l: dense(8) -> prelu_shared,
        m: l + k,
        o: concat(m, k) -> dense(8) -> relu,
        q: dense(8) -> softplus -> dropout(0.25),
        r: maxout(8, 2) -> prelu,
        s: dense(8) -> tanh,
        a_d: dense(8) -> prelu_shared,
        a_t: a_d + s,
        d_t: concat(a_t, s) -> dense(8) -> relu,
        x_z: dense(8) -> softplus -> dropout(0.25),
        z_x: maxout(8, 2) -> prelu,
        out: concat(z_x, z_t) -> dense(3),
        loss: mse,
        l2: 0.001,
    }
}

network! {
    struct Forward12 {
        input: 8,
        input_d: dense(8) -> tanh,
        self_: dense(8) -> prelu_shared,
        sz: self_ + input_d,
        sa: concat(sz, input_d) -> dense(8) -> relu,
        ahat: dense(8) -> softplus -> dropout(0.25),
        xa: maxout(8, 2) -> prelu,
        x_sa: dense(8) -> tanh,
        a_in: dense(8) -> prelu_shared,
        r#type: a_in + x_sa,
        Vec: concat(r#type, x_sa) -> dense(8) -> relu,
        String: dense(8) -> softplus -> dropout(0.25),
        Box: maxout(8, 2) -> prelu,
        Result: dense(8) -> tanh,
        Ok: dense(8) -> prelu_shared,
        Err: Ok + Result,
        drop: concat(Err, Result) -> dense(8) -> relu,
        std: dense(8) -> softplus -> dropout(0.25),
        alloc: maxout(8, 2) -> prelu,
        Matrix: dense(8) -> tanh,
        Vector3: dense(8) -> prelu_shared,
        DMatrix: Vector3 + Matrix,
        δ: concat(DMatrix, Matrix) -> dense(8) -> relu,
        größe: dense(8) -> softplus -> dropout(0.25),
        out: concat(größe, input_d) -> dense(3),
        loss: mse,
        l2: 0.001,
    }
}

network! {
    struct Backward0 {
        input: 8,
        größe: dense(8) -> tanh,
        δ: dense(8) -> softplus -> dropout(0.25),
        DMatrix: maxout(8, 2) -> prelu,
        Vector3: dense(8) -> tanh,
        Matrix: dense(8) -> prelu_shared,
        alloc: Matrix + Vector3,
        std: concat(alloc, Vector3) -> dense(8) -> relu,
        drop: dense(8) -> softplus -> dropout(0.25),
        Err: maxout(8, 2) -> prelu,
        Ok: dense(8) -> tanh,
        Result: dense(8) -> prelu_shared,
        Box: Result + Ok,
        String: concat(Box, Ok) -> dense(8) -> relu,
        Vec: dense(8) -> softplus -> dropout(0.25),
        r#type: maxout(8, 2) -> prelu,
        a_in: dense(8) -> tanh,
        x_sa: dense(8) -> prelu_shared,
        xa: x_sa + a_in,
        ahat: concat(xa, a_in) -> dense(8) -> relu,
        sa: dense(8) -> softplus -> dropout(0.25),
        sz: maxout(8, 2) -> prelu,
        self_: dense(8) -> tanh,
        input_d: dense(8) -> prelu_shared,
        z_x: input_d + self_,
        out: concat(z_x, größe) -> dense(3),
        loss: mse,
        l2: 0.001,
    }
}

network! {
    struct Backward1 {
        input: 8,
        x_z: dense(8) -> tanh,
        d_t: dense(8) -> softplus -> dropout(0.25),
        a_t: maxout(8, 2) -> prelu,
        a_d: dense(8) -> tanh,
        s: dense(8) -> prelu_shared,
        r: s + a_d,
        q: concat(r, a_d) -> dense(8) -> relu,
        o: dense(8) -> softplus -> dropout(0.25),
        m: maxout(8, 2) -> prelu,
        l: dense(8) -> tanh,
        k: dense(8) -> prelu_shared,
        i: k + l,
        h: concat(i, l) -> dense(8) -> relu,
        e: dense(8) -> softplus -> dropout(0.25),
        c: maxout(8, 2) -> prelu,
        zip_zip_map: dense(8) -> tanh,
        zip_state_mut: dense(8) -> prelu_shared,
        zip_mut: zip_state_mut + zip_zip_map,
        zip_apply: concat(zip_mut, zip_zip_map) -> dense(8) -> relu,
        zip: dense(8) -> softplus -> dropout(0.25),
        zeros: maxout(8, 2) -> prelu,
        zero: dense(8) -> tanh,
        z_t: dense(8) -> prelu_shared,
        z: z_t + zero,
        out: concat(z, x_z) -> dense(3),
        loss: mse,
        l2: 0.001,
    }
}

network! {
    struct Backward2 {
        input: 8,
        ys: dense(8) -> tanh,
        y1: dense(8) -> softplus -> dropout(0.25),
        y0: maxout(8, 2) -> prelu,
        y: dense(8) -> tanh,
        xs: dense(8) -> prelu_shared,
        x1: xs + y,
        x0: concat(x1, y) -> dense(8) -> relu,
        x: dense(8) -> softplus -> dropout(0.25),
        with_scratch: maxout(8, 2) -> prelu,
        with_activation: dense(8) -> tanh,
        weight: dense(8) -> prelu_shared,
        w: weight + with_activation,
        vjp: concat(w, with_activation) -> dense(8) -> relu,
        visit_mut: dense(8) -> softplus -> dropout(0.25),
        visit: maxout(8, 2) -> prelu,
        values: dense(8) -> tanh,
        v: dense(8) -> prelu_shared,
        usize: v + values,
        unused_variables: concat(usize, values) -> dense(8) -> relu,
        unused_mut: dense(8) -> softplus -> dropout(0.25),
        u64: maxout(8, 2) -> prelu,
        u: dense(8) -> tanh,
        tz: dense(8) -> prelu_shared,
        transpose: tz + u,
        out: concat(transpose, ys) -> dense(3),
        loss: mse,
        l2: 0.001,
    }
}

network! {
    struct Backward3 {
        input: 8,
        r#trait: dense(8) -> tanh,
        trace: dense(8) -> softplus -> dropout(0.25),
        tr_mul: maxout(8, 2) -> prelu,
        total: dense(8) -> tanh,
        targets: dense(8) -> prelu_shared,
        target: targets + total,
        t_z: concat(target, total) -> dense(8) -> relu,
        t_features: dense(8) -> softplus -> dropout(0.25),
        t_d: maxout(8, 2) -> prelu,
        t_c: dense(8) -> tanh,
        t_b: dense(8) -> prelu_shared,
        t_ahat: t_b + t_c,
        t_a: concat(t_ahat, t_c) -> dense(8) -> relu,
        t: dense(8) -> softplus -> dropout(0.25),
        sum: maxout(8, 2) -> prelu,
        r#struct: dense(8) -> tanh,
        str: dense(8) -> prelu_shared,
        step: str + r#struct,
        r#static: concat(step, r#struct) -> dense(8) -> relu,
        state: dense(8) -> softplus -> dropout(0.25),
        split_at_mut: maxout(8, 2) -> prelu,
        split_at: dense(8) -> tanh,
        spare: dense(8) -> prelu_shared,
        softmax_backward: spare + split_at,
        out: concat(softmax_backward, r#trait) -> dense(3),
        loss: mse,
        l2: 0.001,
    }
}

network! {
    struct Backward4 {
        input: 8,
        softmax: dense(8) -> tanh,
        slope: dense(8) -> softplus -> dropout(0.25),
        shape: maxout(8, 2) -> prelu,
        set_column: dense(8) -> tanh,
        seeded: dense(8) -> prelu_shared,
        seed_from_u64: seeded + set_column,
        seed: concat(seed_from_u64, set_column) -> dense(8) -> relu,
        second: dense(8) -> softplus -> dropout(0.25),
        scale: maxout(8, 2) -> prelu,
        rows: dense(8) -> tanh,
        rng: dense(8) -> prelu_shared,
        rev: rng + rows,
        r#return: concat(rev, rows) -> dense(8) -> relu,
        rest: dense(8) -> softplus -> dropout(0.25),
        recurrent: maxout(8, 2) -> prelu,
        reads: dense(8) -> tanh,
        rand: dense(8) -> prelu_shared,
        r#pub: rand + reads,
        penalty_grad: concat(r#pub, reads) -> dense(8) -> relu,
        penalty: dense(8) -> softplus -> dropout(0.25),
        params: maxout(8, 2) -> prelu,
        p: dense(8) -> tanh,
        outputs: dense(8) -> prelu_shared,
        other: outputs + p,
        out: concat(other, softmax) -> dense(3),
        loss: mse,
        l2: 0.001,
    }
}

network! {
    struct Backward5 {
        input: 8,
        option: dense(8) -> tanh,
        one: dense(8) -> softplus -> dropout(0.25),
        normalize_jvp: maxout(8, 2) -> prelu,
        normalize_backward: dense(8) -> tanh,
        normalize: dense(8) -> prelu_shared,
        norm_squared: normalize + normalize_backward,
        none: concat(norm_squared, normalize_backward) -> dense(8) -> relu,
        non_snake_case: dense(8) -> softplus -> dropout(0.25),
        non_camel_case_types: maxout(8, 2) -> prelu,
        nn: dense(8) -> tanh,
        new: dense(8) -> prelu_shared,
        needless_borrow: new + nn,
        name: concat(needless_borrow, nn) -> dense(8) -> relu,
        n: dense(8) -> softplus -> dropout(0.25),
        r#mut: maxout(8, 2) -> prelu,
        mse_grad: dense(8) -> tanh,
        mse: dense(8) -> prelu_shared,
        maxout_jvp: mse + mse_grad,
        maxout_backward: concat(maxout_jvp, mse_grad) -> dense(8) -> relu,
        maxout: dense(8) -> softplus -> dropout(0.25),
        r#match: maxout(8, 2) -> prelu,
        mask: dense(8) -> tanh,
        map: dense(8) -> prelu_shared,
        loss_training: map + mask,
        out: concat(loss_training, option) -> dense(3),
        loss: mse,
        l2: 0.001,
    }
}

network! {
    struct Backward6 {
        input: 8,
        loss_batch: dense(8) -> tanh,
        loss_and_grad_training: dense(8) -> softplus -> dropout(0.25),
        loss_and_grad_into: maxout(8, 2) -> prelu,
        loss_and_grad_input: dense(8) -> tanh,
        loss_and_grad_batch_training: dense(8) -> prelu_shared,
        loss_and_grad_batch_parallel_into: loss_and_grad_batch_training + loss_and_grad_input,
        loss_and_grad_batch_parallel: concat(loss_and_grad_batch_parallel_into, loss_and_grad_input) -> dense(8) -> relu,
        loss_and_grad_batch_into: dense(8) -> softplus -> dropout(0.25),
        loss_and_grad_batch: maxout(8, 2) -> prelu,
        loss_and_grad: dense(8) -> tanh,
        lit: dense(8) -> prelu_shared,
        linear_backward_params: lit + loss_and_grad,
        linear_backward_input: concat(linear_backward_params, loss_and_grad) -> dense(8) -> relu,
        linear: dense(8) -> softplus -> dropout(0.25),
        r#let: maxout(8, 2) -> prelu,
        learnable_forward: dense(8) -> tanh,
        learnable_backward: dense(8) -> prelu_shared,
        lambda: learnable_backward + learnable_forward,
        kind: concat(lambda, learnable_forward) -> dense(8) -> relu,
        kernels: dense(8) -> softplus -> dropout(0.25),
        jvp: maxout(8, 2) -> prelu,
        join: dense(8) -> tanh,
        j: dense(8) -> prelu_shared,
        iter_mut: j + join,
        out: concat(iter_mut, loss_batch) -> dense(3),
        loss: mse,
        l2: 0.001,
    }
}

network! {
    struct Backward7 {
        input: 8,
        iter: dense(8) -> tanh,
        is_some: dense(8) -> softplus -> dropout(0.25),
        into_owned: maxout(8, 2) -> prelu,
        inputs: dense(8) -> tanh,
        inline: dense(8) -> prelu_shared,
        r#in: inline + inputs,
        r#impl: concat(r#in, inputs) -> dense(8) -> relu,
        r#if: dense(8) -> softplus -> dropout(0.25),
        half: maxout(8, 2) -> prelu,
        graph: dense(8) -> tanh,
        grad: dense(8) -> prelu_shared,
        ger: grad + graph,
        gemm: concat(ger, graph) -> dense(8) -> relu,
        gamma: dense(8) -> softplus -> dropout(0.25),
        g: maxout(8, 2) -> prelu,
        from_element: dense(8) -> tanh,
        from_column_slice: dense(8) -> prelu_shared,
        forward_training: from_column_slice + from_element,
        forward_batched: concat(forward_training, from_element) -> dense(8) -> relu,
        forward_batch_batched: dense(8) -> softplus -> dropout(0.25),
        forward_batch: maxout(8, 2) -> prelu,
        forward: dense(8) -> tanh,
        r#for: dense(8) -> prelu_shared,
        r#fn: r#for + forward,
        out: concat(r#fn, iter) -> dense(3),
        loss: mse,
        l2: 0.001,
    }
}

network! {
    struct Backward8 {
        input: 8,
        flops: dense(8) -> tanh,
        fixed_rows_mut: dense(8) -> softplus -> dropout(0.25),
        fixed_rows: maxout(8, 2) -> prelu,
        fixed_columns: dense(8) -> tanh,
        first: dense(8) -> prelu_shared,
        fill: first + fixed_columns,
        features: concat(fill, fixed_columns) -> dense(8) -> relu,
        f64: dense(8) -> softplus -> dropout(0.25),
        f32: maxout(8, 2) -> prelu,
        f: dense(8) -> tanh,
        error: dense(8) -> prelu_shared,
        dz: error + f,
        r#dyn: concat(dz, f) -> dense(8) -> relu,
        dropout: dense(8) -> softplus -> dropout(0.25),
        doc: maxout(8, 2) -> prelu,
        dh: dense(8) -> tanh,
        df: dense(8) -> prelu_shared,
        derive: df + dh,
        dead_code: concat(derive, dh) -> dense(8) -> relu,
        d_z: dense(8) -> softplus -> dropout(0.25),
        d_x: maxout(8, 2) -> prelu,
        d_input: dense(8) -> tanh,
        d_h: dense(8) -> prelu_shared,
        d_ahat: d_h + d_input,
        out: concat(d_ahat, flops) -> dense(3),
        loss: mse,
        l2: 0.001,
    }
}

network! {
    struct Backward9 {
        input: 8,
        d_a: dense(8) -> tanh,
        d: dense(8) -> softplus -> dropout(0.25),
        cross_entropy_with_logits_grad: maxout(8, 2) -> prelu,
        cross_entropy_with_logits: dense(8) -> tanh,
        cotangent: dense(8) -> prelu_shared,
        core: cotangent + cross_entropy_with_logits,
        copy_rows: concat(core, cross_entropy_with_logits) -> dense(8) -> relu,
        copy_from_slice: dense(8) -> softplus -> dropout(0.25),
        copy_from: maxout(8, 2) -> prelu,
        r#const: dense(8) -> tanh,
        component_mul: dense(8) -> prelu_shared,
        columns: component_mul + r#const,
        column_sum: concat(columns, r#const) -> dense(8) -> relu,
        column_iter_mut: dense(8) -> softplus -> dropout(0.25),
        column: maxout(8, 2) -> prelu,
        clone: dense(8) -> tanh,
        clippy: dense(8) -> prelu_shared,
        chunks_exact_mut: clippy + clone,
        chunks_exact: concat(chunks_exact_mut, clone) -> dense(8) -> relu,
        carry: dense(8) -> softplus -> dropout(0.25),
        buffer: maxout(8, 2) -> prelu,
        binary_cross_entropy_with_logits_grad: dense(8) -> tanh,
        binary_cross_entropy_with_logits: dense(8) -> prelu_shared,
        with_threads: binary_cross_entropy_with_logits + binary_cross_entropy_with_logits_grad,
        out: concat(with_threads, d_a) -> dense(3),
        loss: mse,
        l2: 0.001,
    }
}

network! {
    struct Backward10 {
        input: 8,
        bias: dense(8) -> tanh,
        beta: dense(8) -> softplus -> dropout(0.25),
        backprop_batched: maxout(8, 2) -> prelu,
        backprop_batch: dense(8) -> tanh,
        backprop: dense(8) -> prelu_shared,
        back: backprop + backprop_batch,
        b: concat(back, backprop_batch) -> dense(8) -> relu,
        axpy: dense(8) -> softplus -> dropout(0.25),
        assert: maxout(8, 2) -> prelu,
        as_slice: dense(8) -> tanh,
        as_mut_slice: dense(8) -> prelu_shared,
        as_deref_mut: as_mut_slice + as_slice,
        r#as: concat(as_deref_mut, as_slice) -> dense(8) -> relu,
        allow: dense(8) -> softplus -> dropout(0.25),
        add_rows: maxout(8, 2) -> prelu,
        add_bias: dense(8) -> tanh,
        add_assign: dense(8) -> prelu_shared,
        activation: add_assign + add_bias,
        activate_backward: concat(activation, add_bias) -> dense(8) -> relu,
        activate: dense(8) -> softplus -> dropout(0.25),
        a: maxout(8, 2) -> prelu,
        __private: dense(8) -> tanh,
        Weight: dense(8) -> prelu_shared,
        Tanh: Weight + __private,
        out: concat(Tanh, bias) -> dense(3),
        loss: mse,
        l2: 0.001,
    }
}

network! {
    struct Backward11 {
        input: 8,
        T: dense(8) -> tanh,
        Swish: dense(8) -> softplus -> dropout(0.25),
        StateVisitor: maxout(8, 2) -> prelu,
        Some: dense(8) -> tanh,
        Sized: dense(8) -> prelu_shared,
        Sigmoid: Sized + Some,
        SeedableRng: concat(Sigmoid, Some) -> dense(8) -> relu,
        SVector: dense(8) -> softplus -> dropout(0.25),
        SMatrix: maxout(8, 2) -> prelu,
        Rng: dense(8) -> tanh,
        Relu: dense(8) -> prelu_shared,
        Recurrent: Relu + Rng,
        R: concat(Recurrent, Rng) -> dense(8) -> relu,
        Prelu: dense(8) -> softplus -> dropout(0.25),
        PartialEq: maxout(8, 2) -> prelu,
        ParamMut: dense(8) -> tanh,
        ParamKind: dense(8) -> prelu_shared,
        Param: ParamKind + ParamMut,
        PARAMS: concat(Param, ParamMut) -> dense(8) -> relu,
        Option: dense(8) -> softplus -> dropout(0.25),
        OUTPUTS: maxout(8, 2) -> prelu,
        None: dense(8) -> tanh,
        Network: dense(8) -> prelu_shared,
        NAME: Network + None,
        out: concat(NAME, T) -> dense(3),
        loss: mse,
        l2: 0.001,
    }
}

network! {
    struct Backward12 {
        input: 8,
        Model: dense(8) -> tanh,
        LeakyRelu: dense(8) -> softplus -> dropout(0.25),
        LayerInfo: maxout(8, 2) -> prelu,
        LAYERS: dense(8) -> tanh,
        Init: dense(8) -> prelu_shared,
        Identity: Init + LAYERS,
        INPUTS: concat(Identity, LAYERS) -> dense(8) -> relu,
        He: dense(8) -> softplus -> dropout(0.25),
        HardSigmoid: maxout(8, 2) -> prelu,
        Glorot: dense(8) -> tanh,
        GeluTanh: dense(8) -> prelu_shared,
        Gelu: GeluTanh + Glorot,
        FnMut: concat(Gelu, Glorot) -> dense(8) -> relu,
        Float: dense(8) -> softplus -> dropout(0.25),
        FLOPS: maxout(8, 2) -> prelu,
        Elu: dense(8) -> tanh,
        Dense: dense(8) -> prelu_shared,
        Debug: Dense + Elu,
        Clone: concat(Debug, Elu) -> dense(8) -> relu,
        ChaCha8Rng: dense(8) -> softplus -> dropout(0.25),
        Bias: maxout(8, 2) -> prelu,
        B: dense(8) -> tanh,
        Activation: dense(8) -> prelu_shared,
        out: concat(Activation, Model) -> dense(3),
        loss: mse,
        l2: 0.001,
    }
}

// The pairs that met when a line's intermediates were `<line>_<role>` beside `d_<line>` and
// `t_<line>` and temporaries `t_a`..`t_d`: `d`'s activation `d_a` was `a`'s gradient, `t`'s
// `t_a` a temporary. Every activation here reads its own output in its derivative (tanh,
// sigmoid), so a value read from the wrong binding changes the numbers; the same lines come
// in both orders, and with `d` as the output.

// The words of the gated layers' passes (`state`, `memory`, `step`, `gates`, `tangent`, ...)
// as the names of gated lines and of what reads them, and the fields of PyTorch's recurrent
// layout as line names.

network! {
    struct GatedForward {
        input: 8 x 3,
        state: lstm_sequence(8) -> dropout(0.25),
        memory: gru_sequence(8),
        step: state -> gru(8),
        x_t: memory -> lstm(8) -> dropout(0.25),
        gates: step + x_t,
        c: concat(gates, step) -> dense(8) -> tanh,
        h: dense(8),
        carry_memory: dense(8) -> relu,
        d_ih: dense(8) -> tanh,
        r#else: concat(carry_memory, d_ih) -> dense(8),
        memory_t: dense(8) -> sigmoid,
        next: memory_t + c,
        next_memory: dense(8) -> relu,
        step_backward: dense(8) -> tanh,
        step_jvp: dense(8),
        tangent: step_jvp + next_memory,
        tangent_memory: dense(8) -> tanh,
        weight_hh: dense(8) -> relu,
        weight_ih: dense(8),
        bias_hh: concat(weight_ih, tangent) -> dense(8) -> tanh,
        bias_ih: dense(8) -> relu,
        Gru: dense(8),
        Lstm: dense(2) -> softmax,
        loss: cross_entropy,
    }
}
differential!(gated_forward: GatedForward, Spec::multiclass().dropout());

network! {
    struct GatedBackward {
        input: 8 x 3,
        Lstm: gru_sequence(8) -> dropout(0.25),
        Gru: lstm_sequence(8),
        bias_ih: Lstm -> lstm(8),
        bias_hh: Gru -> gru(8) -> dropout(0.25),
        weight_ih: bias_ih + bias_hh,
        weight_hh: dense(8) -> tanh,
        tangent_memory: concat(weight_hh, bias_ih) -> dense(8) -> relu,
        tangent: dense(8),
        step_jvp: dense(8) -> tanh,
        step_backward: step_jvp + tangent,
        next_memory: dense(8) -> relu,
        next: dense(8),
        memory_t: concat(next, step_backward) -> dense(8) -> tanh,
        r#else: dense(8),
        d_ih: dense(8) -> relu,
        carry_memory: dense(8),
        h: dense(8) -> tanh,
        c: h + carry_memory,
        x_t: dense(8),
        gates: dense(8) -> relu,
        step: dense(8),
        memory: dense(8) -> tanh,
        state: dense(2) -> softmax,
        loss: cross_entropy,
    }
}
differential!(gated_backward: GatedBackward, Spec::multiclass().dropout());

// Memory networks on the batched path, whose lines are named like the words of the batched
// recurrent passes: the kernels and cells they call and their locals.

network! {
    struct RecurrentBatchWords {
        input: 8 x 3,
        take_rows: rnn_sequence(8) -> tanh,
        first: take_rows -> rnn_sequence(8) -> relu -> dropout(0.25),
        second: first -> rnn(9) -> sigmoid,
        z_t: take_rows -> rnn(8),
        dz: concat(second, z_t) -> dense(8) -> tanh,
        add_to_rows: dense(8) -> relu,
        add_column_sums: add_to_rows + dz,
        t: concat(add_column_sums, second) -> dense(8) -> tanh,
        n: t -> dense(3),
        loss: mse,
    }
}
differential!(recurrent_batch_words: RecurrentBatchWords, Spec::mse().dropout());

network! {
    struct GatedBatchWords {
        input: 8 x 3,
        lstm_cells: lstm_sequence(8),
        gru_cells: lstm_cells -> gru_sequence(8) -> dropout(0.25),
        d_hh: gru_cells -> lstm(9),
        lstm_cells_backward: lstm_cells -> gru(8),
        gru_cells_backward: concat(d_hh, lstm_cells_backward) -> dense(8) -> tanh,
        out: dense(3),
        loss: mse,
    }
}
differential!(gated_batch_words: GatedBatchWords, Spec::mse().dropout());

network! {
    struct GraphBatchWords {
        input: graph(4, 8),
        a_hat: graph_conv(8) -> tanh,
        mixed: a_hat -> graph_conv(8) -> relu,
        sum: mixed -> mean_nodes,
        out: dense(2),
        loss: mse,
    }
}
differential!(graph_batch_words: GraphBatchWords, Spec::mse().graph(4));

// A streaming network whose lines are named like the words of `step` and of the state type
// (`state`, `step`, `x`, `reset`, `new`, `State`, `Default`): the state's fields are the
// recurrent lines' names, beside its methods `new` and `reset`.

network! {
    struct StreamWords {
        input: 8 x 3,
        state: lstm_sequence(8),
        step: state -> gru(8) -> dropout(0.25),
        reset: state -> rnn(8) -> tanh,
        new: state -> lstm(8),
        h: step + reset,
        c: concat(h, new) -> dense(8) -> tanh,
        x: dense(8) -> relu,
        Default: dense(8),
        State: Default + x,
        default: dense(8) -> tanh,
        recurrent: dense(2) -> softmax,
        loss: cross_entropy,
        stream: StreamWordsState,
    }
}
differential!(stream_words: StreamWords, Spec::multiclass().dropout());

/// After the declared steps, `step` gives what `forward` gives on them.
#[test]
fn a_streaming_network_with_the_generators_words_streams() {
    use nn::nalgebra::SVector;
    let net = StreamWords::<f64>::seeded(7);
    let xs = SVector::<f64, 24>::from_fn(|i, _| ((i * 7 % 11) as f64 - 5.0) / 5.0);
    let mut state = StreamWordsState::new();
    let mut y = SVector::zeros();
    for t in 0..3 {
        y = net.step(&mut state, &xs.fixed_rows::<8>(8 * t).into_owned());
    }
    assert!((y - net.forward(&xs)).norm() < 1e-12);
    assert!(state.reset.h.norm() > 0.0 && state.new.c.norm() > 0.0);
}

network! {
    struct PairsForward {
        input: 8,
        a: dense(8) -> tanh,
        d: dense(8) -> tanh,
        t: dense(8) -> sigmoid,
        z: dense(8) -> tanh,
        m: dense(8) -> tanh -> dropout(0.25),
        y: dense(8) -> tanh,
        h: maxout(8, 2) -> tanh,
        s: a + d,
        r#in: concat(h, s) -> dense(8) -> tanh,
        x: dense(8) -> tanh,
        d_a: concat(x, t) -> dense(8) -> tanh,
        a_d: dense(8) -> sigmoid,
        t_a: concat(a_d, z) -> dense(8) -> tanh,
        a_t: dense(8) -> tanh,
        t_d: a_t + m,
        out: concat(t_d, y) -> dense(3) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

network! {
    struct PairsBackward {
        input: 8,
        a_t: dense(8) -> tanh,
        t_a: dense(8) -> sigmoid,
        a_d: dense(8) -> tanh,
        d_a: dense(8) -> tanh -> dropout(0.25),
        x: dense(8) -> tanh,
        r#in: maxout(8, 2) -> tanh,
        h: dense(8) -> tanh,
        y: concat(h, a_t) -> dense(8) -> tanh,
        m: dense(8) -> sigmoid,
        z: m + d_a,
        t: concat(z, x) -> dense(8) -> tanh,
        d: dense(8) -> tanh,
        s: d + t_a,
        a: concat(s, a_d) -> dense(8) -> tanh,
        out: concat(a, r#in) -> dense(3) -> sigmoid,
        loss: binary_cross_entropy,
    }
}

network! {
    struct PairsOutputD {
        input: 8,
        t: dense(8) -> tanh,
        a: dense(8) -> tanh,
        d: concat(a, t) -> dense(1) -> sigmoid,
        loss: mse,
    }
}

differential!(pairs_forward: PairsForward, Spec::binary().dropout());
differential!(pairs_backward: PairsBackward, Spec::binary().dropout());
differential!(pairs_output_d: PairsOutputD, Spec::mse());

differential!(forward0: Forward0, Spec::mse().dropout());
differential!(forward1: Forward1, Spec::mse().dropout());
differential!(forward2: Forward2, Spec::mse().dropout());
differential!(forward3: Forward3, Spec::mse().dropout());
differential!(forward4: Forward4, Spec::mse().dropout());
differential!(forward5: Forward5, Spec::mse().dropout());
differential!(forward6: Forward6, Spec::mse().dropout());
differential!(forward7: Forward7, Spec::mse().dropout());
differential!(forward8: Forward8, Spec::mse().dropout());
differential!(forward9: Forward9, Spec::mse().dropout());
differential!(forward10: Forward10, Spec::mse().dropout());
differential!(forward11: Forward11, Spec::mse().dropout());
differential!(forward12: Forward12, Spec::mse().dropout());
differential!(backward0: Backward0, Spec::mse().dropout());
differential!(backward1: Backward1, Spec::mse().dropout());
differential!(backward2: Backward2, Spec::mse().dropout());
differential!(backward3: Backward3, Spec::mse().dropout());
differential!(backward4: Backward4, Spec::mse().dropout());
differential!(backward5: Backward5, Spec::mse().dropout());
differential!(backward6: Backward6, Spec::mse().dropout());
differential!(backward7: Backward7, Spec::mse().dropout());
differential!(backward8: Backward8, Spec::mse().dropout());
differential!(backward9: Backward9, Spec::mse().dropout());
differential!(backward10: Backward10, Spec::mse().dropout());
differential!(backward11: Backward11, Spec::mse().dropout());
differential!(backward12: Backward12, Spec::mse().dropout());

network! {
    /// The words of the architecture constant (`nn::architecture::Described`), in order.
    struct ArchitectureWords {
        input: 8,
        ARCHITECTURE: dense(8) -> tanh,
        Architecture: dense(8) -> prelu_shared,
        BinaryCrossEntropy: Architecture + ARCHITECTURE,
        Cell: concat(BinaryCrossEntropy, ARCHITECTURE) -> dense(8) -> relu,
        Combine: dense(8) -> softplus -> dropout(0.25),
        Concat: maxout(8, 2) -> prelu,
        CrossEntropy: dense(8) -> tanh,
        Described: dense(8) -> prelu_shared,
        Elman: Described + CrossEntropy,
        Graph: concat(Elman, CrossEntropy) -> dense(8) -> relu,
        GraphConv: dense(8) -> softplus -> dropout(0.25),
        Input: maxout(8, 2) -> prelu,
        Layer: dense(8) -> tanh,
        Maxout: dense(8) -> prelu_shared,
        Mse: Maxout + Layer,
        Node: concat(Mse, Layer) -> dense(8) -> relu,
        Read: dense(8) -> softplus -> dropout(0.25),
        Readout: maxout(8, 2) -> prelu,
        Sequence: dense(8) -> tanh,
        Softmax: dense(8) -> prelu_shared,
        Source: Softmax + Sequence,
        Sum: concat(Source, Sequence) -> dense(8) -> relu,
        SwishLearnable: dense(8) -> softplus -> dropout(0.25),
        Vector: maxout(8, 2) -> prelu,
        architecture: dense(8) -> tanh,
        cell: dense(8) -> prelu_shared,
        combine: cell + architecture,
        every: concat(combine, architecture) -> dense(8) -> relu,
        r#false: dense(8) -> softplus -> dropout(0.25),
        init: maxout(8, 2) -> prelu,
        layer: dense(8) -> tanh,
        mean: dense(8) -> prelu_shared,
        nodes: mean + layer,
        pieces: concat(nodes, layer) -> dense(8) -> relu,
        readout: dense(8) -> softplus -> dropout(0.25),
        shared: maxout(8, 2) -> prelu,
        steps: dense(8) -> tanh,
        r#true: dense(8) -> prelu_shared,
        units: r#true + steps,
        width: concat(units, steps) -> dense(8) -> relu,
        out: concat(width, ARCHITECTURE) -> dense(3),
        loss: mse,
        l2: 0.001,
    }
}

network! {
    /// The same words, reversed, each in a line of another kind.
    struct ArchitectureWordsBackward {
        input: 8,
        width: dense(8) -> tanh,
        units: dense(8) -> prelu_shared,
        r#true: units + width,
        steps: concat(r#true, width) -> dense(8) -> relu,
        shared: dense(8) -> softplus -> dropout(0.25),
        readout: maxout(8, 2) -> prelu,
        pieces: dense(8) -> tanh,
        nodes: dense(8) -> prelu_shared,
        mean: nodes + pieces,
        layer: concat(mean, pieces) -> dense(8) -> relu,
        init: dense(8) -> softplus -> dropout(0.25),
        r#false: maxout(8, 2) -> prelu,
        every: dense(8) -> tanh,
        combine: dense(8) -> prelu_shared,
        cell: combine + every,
        architecture: concat(cell, every) -> dense(8) -> relu,
        Vector: dense(8) -> softplus -> dropout(0.25),
        SwishLearnable: maxout(8, 2) -> prelu,
        Sum: dense(8) -> tanh,
        Source: dense(8) -> prelu_shared,
        Softmax: Source + Sum,
        Sequence: concat(Softmax, Sum) -> dense(8) -> relu,
        Readout: dense(8) -> softplus -> dropout(0.25),
        Read: maxout(8, 2) -> prelu,
        Node: dense(8) -> tanh,
        Mse: dense(8) -> prelu_shared,
        Maxout: Mse + Node,
        Layer: concat(Maxout, Node) -> dense(8) -> relu,
        Input: dense(8) -> softplus -> dropout(0.25),
        GraphConv: maxout(8, 2) -> prelu,
        Graph: dense(8) -> tanh,
        Elman: dense(8) -> prelu_shared,
        Described: Elman + Graph,
        CrossEntropy: concat(Described, Graph) -> dense(8) -> relu,
        Concat: dense(8) -> softplus -> dropout(0.25),
        Combine: maxout(8, 2) -> prelu,
        Cell: dense(8) -> tanh,
        BinaryCrossEntropy: dense(8) -> prelu_shared,
        Architecture: BinaryCrossEntropy + Cell,
        ARCHITECTURE: concat(Architecture, Cell) -> dense(8) -> relu,
        out: concat(ARCHITECTURE, width) -> dense(3),
        loss: mse,
        l2: 0.001,
    }
}

differential!(architecture_words: ArchitectureWords, Spec::mse().dropout());
differential!(architecture_words_backward: ArchitectureWordsBackward, Spec::mse().dropout());

network! {
    /// Lines wide enough for the kernels, named like the kernels and their operands.
    struct KernelWords {
        input: 16,
        affine: dense(16) -> tanh,
        dense: dense(16) -> prelu,
        outer: affine + dense -> dense(16) -> sigmoid,
        w: outer -> dense(16) -> relu,
        b: concat(w, outer) -> dense(16),
        f: b -> dense(16) -> leaky_relu(0.2) -> dropout(0.25),
        out: f -> dense(3),
        loss: mse,
    }
}
differential!(kernel_words: KernelWords, Spec::mse().dropout());
