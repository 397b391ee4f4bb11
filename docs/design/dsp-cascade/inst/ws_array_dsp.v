// R x C weight-stationary array, one DSP48E2 per PE, same ports as vitfpga's vf_systolic (PACK=0).
// Differences: the two weight banks are the DSP's B1 (shadow, loaded by w_shift through the BCIN
// cascade) and B2 (active). B2 <= B1 when the first vector whose a_bank differs from the bank
// now active reaches the PE (a 1-bit swap token that travels with the activation). So: a tile
// must be loaded (w_shift) before its first vector enters, the shadow may be reloaded R+G-2
// cycles after that first vector entered, and switching back to an older tile needs a reload
// (w_bank is ignored). Latency is R + C - 1 + 2 (AREG + MREG).
module ws_array_dsp #(
    parameter integer R = 4, parameter integer C = 4,
    parameter integer A_BITS = 8, parameter integer W_BITS = 8, parameter integer ACC_BITS = 32
) (
    input  wire                  clk,
    input  wire [R*A_BITS-1:0]   a_in,
    input  wire                  a_valid,
    input  wire                  a_bank,
    input  wire                  w_shift,
    input  wire                  w_bank,
    input  wire [C*W_BITS-1:0]   w_in,
    output wire [C*ACC_BITS-1:0] y_out,
    output wire                  y_valid
);
    // Swap token: first valid vector of a new tile.
    reg act_bank = 1'b0, act_ok = 1'b0;
    wire tok = a_valid & ~(act_ok & (a_bank == act_bank));
    always @(posedge clk) if (a_valid) begin act_bank <= a_bank; act_ok <= 1'b1; end

    wire [A_BITS-1:0] a_h [0:R*(C+1)-1];
    wire              s_h [0:R*(C+1)-1];
    wire [47:0]       pc  [0:(R+1)*C-1];
    wire [17:0]       bc  [0:(R+1)*C-1];
    genvar r, c, k;
    generate
        // Input skew, row r delayed r cycles (activation and token).
        for (r = 0; r < R; r = r + 1) begin : g_skew
            wire [(r+1)*A_BITS-1:0] a_c;
            wire [r:0]              s_c;
            assign a_c[A_BITS-1:0] = a_in[r*A_BITS +: A_BITS];
            assign s_c[0] = tok;
            for (k = 1; k <= r; k = k + 1) begin : g_stage
                reg [A_BITS-1:0] a_q = {A_BITS{1'b0}};
                reg              s_q = 1'b0;
                always @(posedge clk) begin
                    a_q <= a_c[(k-1)*A_BITS +: A_BITS];
                    s_q <= s_c[k-1];
                end
                assign a_c[k*A_BITS +: A_BITS] = a_q;
                assign s_c[k] = s_q;
            end
            assign a_h[r*(C+1)] = a_c[r*A_BITS +: A_BITS];
            assign s_h[r*(C+1)] = s_c[r];
        end
        for (c = 0; c < C; c = c + 1) begin : g_top
            assign pc[c] = 48'd0;
            assign bc[c] = 18'd0;
        end
        for (r = 0; r < R; r = r + 1) begin : g_row
            for (c = 0; c < C; c = c + 1) begin : g_col
                localparam integer IN = r*(C+1) + c;
                // Fabric per PE: the activation and token registers that pass the vector right.
                reg [A_BITS-1:0] a_q = {A_BITS{1'b0}};
                reg              s_q = 1'b0;
                always @(posedge clk) begin a_q <= a_h[IN]; s_q <= s_h[IN]; end
                assign a_h[IN+1] = a_q;
                assign s_h[IN+1] = s_q;
                wire [47:0] p;
                DSP48E2 #(
                    .AREG(1), .ACASCREG(1), .BREG(2), .BCASCREG(1), .MREG(1), .PREG(1),
                    .CREG(0), .DREG(0), .ADREG(0), .INMODEREG(0), .OPMODEREG(0), .ALUMODEREG(0),
                    .CARRYINREG(0), .CARRYINSELREG(0),
                    .A_INPUT("DIRECT"), .B_INPUT(r == 0 ? "DIRECT" : "CASCADE"),
                    .AMULTSEL("A"), .BMULTSEL("B"), .USE_MULT("MULTIPLY"), .USE_SIMD("ONE48")
                ) dsp (
                    .CLK(clk),
                    .A({{(30-A_BITS){a_h[IN][A_BITS-1]}}, a_h[IN]}), .ACIN(30'd0),
                    .B(r == 0 ? {{(18-W_BITS){w_in[c*W_BITS+W_BITS-1]}}, w_in[c*W_BITS +: W_BITS]} : 18'd0),
                    .BCIN(bc[r*C + c]), .BCOUT(bc[(r+1)*C + c]),
                    .C(48'd0), .D(27'd0), .PCIN(pc[r*C + c]), .PCOUT(pc[(r+1)*C + c]), .P(p),
                    .CARRYIN(1'b0), .CARRYCASCIN(1'b0), .MULTSIGNIN(1'b0), .CARRYINSEL(3'b000),
                    .INMODE(5'b00000), .ALUMODE(4'b0000),
                    .OPMODE(r == 0 ? 9'b00_000_01_01 : 9'b00_001_01_01),
                    .CEA1(1'b0), .CEA2(1'b1), .CEB1(w_shift), .CEB2(s_h[IN]), .CEM(1'b1), .CEP(1'b1),
                    .CEC(1'b0), .CED(1'b0), .CEAD(1'b0), .CEINMODE(1'b0), .CECTRL(1'b0),
                    .CEALUMODE(1'b0), .CECARRYIN(1'b0),
                    .RSTA(1'b0), .RSTB(1'b0), .RSTC(1'b0), .RSTD(1'b0), .RSTM(1'b0), .RSTP(1'b0),
                    .RSTINMODE(1'b0), .RSTCTRL(1'b0), .RSTALUMODE(1'b0), .RSTALLCARRYIN(1'b0)
                );
                if (r == R - 1) begin : g_out
                    // Output de-skew: column c waits C-1-c cycles.
                    localparam integer D = C - 1 - c;
                    wire [(D+1)*ACC_BITS-1:0] d_c;
                    assign d_c[ACC_BITS-1:0] = p[ACC_BITS-1:0];
                    for (k = 1; k <= D; k = k + 1) begin : g_stage
                        reg [ACC_BITS-1:0] q = {ACC_BITS{1'b0}};
                        always @(posedge clk) q <= d_c[(k-1)*ACC_BITS +: ACC_BITS];
                        assign d_c[k*ACC_BITS +: ACC_BITS] = q;
                    end
                    assign y_out[c*ACC_BITS +: ACC_BITS] = d_c[D*ACC_BITS +: ACC_BITS];
                end
            end
        end
    endgenerate
    // y_valid: a_valid delayed by the latency R + C + 1.
    localparam integer LAT = R + C + 1;
    reg [LAT-1:0] v_d = {LAT{1'b0}};
    always @(posedge clk) v_d <= {v_d[LAT-2:0], a_valid};
    assign y_valid = v_d[LAT-1];
    /* verilator lint_off UNUSED */
    wire unused = w_bank;
    /* verilator lint_on UNUSED */
endmodule
