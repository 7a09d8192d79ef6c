/* Included once per ISA after that ISA's vector layer: instantiates every algorithm and exports the
 * ISA's kernel table, ck_table_<isa>. */
#include "activations.h"

#define CK_CAT2(a, b) a##b
#define CK_CAT(a, b) CK_CAT2(a, b)

const ck_kernel_table CK_CAT(ck_table_, CK_ISA_SUFFIX) = {
    { sigmoid_precise, sigmoid_fast, sigmoid_approximate },
    { tanh_precise, tanh_fast, tanh_approximate },
};
