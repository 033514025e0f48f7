import { bitWriter } from "./bits.ts";

/** One 16x16 H.264 Baseline picture: a single I_PCM macroblock, so it needs no entropy coder. */
export const FRAME_WIDTH = 16;
export const FRAME_HEIGHT = 16;
export const PROFILE_BASELINE = 66;
export const PROFILE_COMPATIBILITY = 0xc0;
export const LEVEL_1 = 10;

/** Inserts emulation-prevention bytes so no 00 00 0x (x <= 3) start-code lookalike appears. */
const escapeRbsp = (rbsp: Buffer): Buffer => {
  const out: number[] = [];
  let zeros = 0;
  for (const byte of rbsp) {
    if (zeros >= 2 && byte <= 3) {
      out.push(3);
      zeros = 0;
    }
    out.push(byte);
    zeros = byte === 0 ? zeros + 1 : 0;
  }
  return Buffer.from(out);
};

const nalUnit = (refIdc: number, type: number, rbsp: Buffer) =>
  Buffer.concat([Buffer.of((refIdc << 5) | type), escapeRbsp(rbsp)]);

export const sequenceParameterSet = (): Buffer => {
  const w = bitWriter();
  w.u(8, PROFILE_BASELINE);
  w.u(8, PROFILE_COMPATIBILITY);
  w.u(8, LEVEL_1);
  w.ue(0); // seq_parameter_set_id
  w.ue(0); // log2_max_frame_num_minus4
  w.ue(2); // pic_order_cnt_type
  w.ue(1); // max_num_ref_frames
  w.u(1, 0); // gaps_in_frame_num_value_allowed_flag
  w.ue(FRAME_WIDTH / 16 - 1);
  w.ue(FRAME_HEIGHT / 16 - 1);
  w.u(1, 1); // frame_mbs_only_flag
  w.u(1, 1); // direct_8x8_inference_flag
  w.u(1, 0); // frame_cropping_flag
  w.u(1, 0); // vui_parameters_present_flag
  w.trailingBits();
  return nalUnit(3, 7, w.bytes());
};

export const pictureParameterSet = (): Buffer => {
  const w = bitWriter();
  w.ue(0); // pic_parameter_set_id
  w.ue(0); // seq_parameter_set_id
  w.u(1, 0); // entropy_coding_mode_flag: CAVLC
  w.u(1, 0); // bottom_field_pic_order_in_frame_present_flag
  w.ue(0); // num_slice_groups_minus1
  w.ue(0); // num_ref_idx_l0_default_active_minus1
  w.ue(0); // num_ref_idx_l1_default_active_minus1
  w.u(1, 0); // weighted_pred_flag
  w.u(2, 0); // weighted_bipred_idc
  w.se(0); // pic_init_qp_minus26
  w.se(0); // pic_init_qs_minus26
  w.se(0); // chroma_qp_index_offset
  w.u(1, 0); // deblocking_filter_control_present_flag
  w.u(1, 0); // constrained_intra_pred_flag
  w.u(1, 0); // redundant_pic_cnt_present_flag
  w.trailingBits();
  return nalUnit(3, 8, w.bytes());
};

/** An IDR slice holding one I_PCM macroblock: 256 luma and 2x64 chroma samples (4:2:0). */
export const idrSlice = (colour: { y: number; cb: number; cr: number }): Buffer => {
  const w = bitWriter();
  w.ue(0); // first_mb_in_slice
  w.ue(7); // slice_type: I (all slices)
  w.ue(0); // pic_parameter_set_id
  w.u(4, 0); // frame_num (log2_max_frame_num = 4)
  w.ue(0); // idr_pic_id
  w.u(1, 0); // no_output_of_prior_pics_flag
  w.u(1, 0); // long_term_reference_flag
  w.se(0); // slice_qp_delta
  w.ue(25); // mb_type: I_PCM
  w.alignWithZeros(); // pcm_alignment_zero_bit
  // Samples kept in 16..235 (video range): a diagonal gradient on the job's colour.
  for (let row = 0; row < 16; row++)
    for (let col = 0; col < 16; col++) w.u(8, 16 + ((colour.y + 6 * (row + col)) % 220));
  for (let i = 0; i < 64; i++) w.u(8, 16 + (colour.cb % 220));
  for (let i = 0; i < 64; i++) w.u(8, 16 + (colour.cr % 220));
  w.trailingBits();
  return nalUnit(3, 5, w.bytes());
};
